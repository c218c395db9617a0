<title>{{ .Name }} | {{ .Path }}</title>
<p>up: {{ .CanGoUp }} dirs: {{ .NumDirs }} files: {{ .NumFiles }} sort: {{ .Sort }} order: {{ .Order }} limit: {{ .Limit }} offset: {{ .Offset }}</p>
<nav>{{ range .Breadcrumbs }}<a href="{{ .Link }}">{{ .Text }}</a>|{{ end }}</nav>
<ul>
{{- range .Items }}
<li>{{ .Name }} {{ .Size }} {{ .URL }} {{ .IsDir }} {{ .IsSymlink }} {{ .HumanSize }} {{ .HumanModTime "2006-01-02" }} {{ .Mode }} {{ .ModTime.Unix }}</li>
{{- end }}
</ul>
<p>req: {{ .Req.URL.Path }} {{ .Req.Method }} {{ upper "sprig" }}</p>
