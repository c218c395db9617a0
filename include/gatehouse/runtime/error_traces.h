#pragma once
// {http.error.trace} ({err.trace}) values: where caddy 2.6.2 makes each handler error, as its
// caddyhttp.Error records it ("pkg.Func (file.go:line)" of Error's caller). Read from the
// Debian caddy 2.6.2 binary's line table (every call of caddyhttp.Error) and checked against
// `caddy run` for the common ones. Static strings: an error holds only a pointer to one.
// kNoCaddyOrigin is for errors of ours that caddy 2.6.2 does not make (it prints empty).

namespace gatehouse::runtime::traces {

inline constexpr const char* kNoCaddyOrigin = "";

// caddyhttp: the server's strict SNI check, `error`, `respond`.
inline constexpr const char* kStrictSni = "caddyhttp.(*Server).enforcementHandler (server.go:370)";
inline constexpr const char* kStaticErrorBadStatus = "caddyhttp.StaticError.ServeHTTP (staticerror.go:105)";
inline constexpr const char* kStaticError = "caddyhttp.StaticError.ServeHTTP (staticerror.go:110)";
inline constexpr const char* kStaticResponseBadStatus =
    "caddyhttp.StaticResponse.ServeHTTP (staticresp.go:238)";

// basic_auth.
inline constexpr const char* kBasicAuth = "caddyauth.Authentication.ServeHTTP (caddyauth.go:88)";

// file_server, its browse listing, and the file matcher's try_files =NNN.
inline constexpr const char* kFileForbidden = "fileserver.(*FileServer).ServeHTTP (staticfiles.go:253)";
inline constexpr const char* kFileStatFailed = "fileserver.(*FileServer).ServeHTTP (staticfiles.go:255)";
inline constexpr const char* kFileBadStatus = "fileserver.(*FileServer).ServeHTTP (staticfiles.go:432)";
inline constexpr const char* kFileNotFound = "fileserver.(*FileServer).notFound (staticfiles.go:579)";
inline constexpr const char* kBrowseForbidden = "fileserver.(*FileServer).serveBrowse (browse.go:89)";
inline constexpr const char* kBrowseReadFailed = "fileserver.(*FileServer).serveBrowse (browse.go:93)";
inline constexpr const char* kBrowseTemplate = "fileserver.(*FileServer).serveBrowse (browse.go:130)";
inline constexpr const char* kFileMatcherStatus = "fileserver.parseErrorCode (matcher.go:489)";

// templates: a template that fails, and httpError.
inline constexpr const char* kTemplateFailed = "templates.(*Templates).executeTemplate (templates.go:403)";
inline constexpr const char* kTemplateHttpError =
    "templates.TemplateContext.funcHTTPError (tplcontext.go:401)";

// reverse_proxy: every failed attempt goes through statusError (502, 504; it keeps the status
// and trace of an error that already is a handler error), no upstream left is 503.
inline constexpr const char* kProxyPrepare = "reverseproxy.(*Handler).ServeHTTP (reverseproxy.go:452)";
inline constexpr const char* kProxyNoUpstreams =
    "reverseproxy.(*Handler).proxyLoopIteration (reverseproxy.go:524)";
inline constexpr const char* kProxyReplaceStatus =
    "reverseproxy.(*Handler).reverseProxy (reverseproxy.go:871)";
inline constexpr const char* kProxyStatusError = "reverseproxy.statusError (reverseproxy.go:1272)";
inline constexpr const char* kFastcgiBadPath = "fastcgi.Transport.RoundTrip (fastcgi.go:123)";
inline constexpr const char* kCopyResponseNoContext =
    "reverseproxy.CopyResponseHandler.ServeHTTP (copyresponse.go:64)";
inline constexpr const char* kCopyResponseBadStatus =
    "reverseproxy.CopyResponseHandler.ServeHTTP (copyresponse.go:73)";
inline constexpr const char* kCopyHeadersNoContext =
    "reverseproxy.CopyResponseHeadersHandler.ServeHTTP (copyresponse.go:150)";

}  // namespace gatehouse::runtime::traces
