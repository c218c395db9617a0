#include "cli/completion_scripts.h"

namespace gatehouse::cli {

namespace {

// COMPREPLY from the candidates; the shell's file names when there are none and the directive
// allows them.
constexpr std::string_view kBash =
    R"SCRIPT(# bash completion for gatehouse: source <(gatehouse completion bash)
_gatehouse_complete() {
  local cur=${COMP_WORDS[COMP_CWORD]} out directive
  local -a lines
  out=$("${COMP_WORDS[0]}" __complete "${COMP_WORDS[@]:1:COMP_CWORD-1}" "$cur" 2>/dev/null) || return
  mapfile -t lines <<< "$out"
  directive=${lines[-1]#:}
  unset 'lines[-1]'
  COMPREPLY=()
  local line
  for line in "${lines[@]}"; do
    [[ -n $line ]] && COMPREPLY+=("${line%%$'\t'*}")
  done
  if (( ${#COMPREPLY[@]} == 0 && (directive & 4) == 0 )); then
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
  fi
}
complete -o filenames -F _gatehouse_complete gatehouse
)SCRIPT";

// zsh: candidates with their descriptions through _describe (a ':' in a word escaped, as
// _describe splits on the first unescaped one); _files when none and files are allowed.
constexpr std::string_view kZsh =
    R"SCRIPT(#compdef gatehouse
# zsh completion for gatehouse: gatehouse completion zsh > "${fpath[1]}/_gatehouse"
# (needs compinit: autoload -U compinit; compinit)
_gatehouse() {
  local out directive line word desc
  local -a lines completions
  out=$(${words[1]} __complete "${(@)words[2,CURRENT-1]}" "${words[CURRENT]}" 2>/dev/null) || return 1
  lines=("${(@f)out}")
  directive=${lines[-1]#:}
  for line in "${(@)lines[1,-2]}"; do
    [[ -n $line ]] || continue
    word=${line%%$'\t'*}
    desc=""
    [[ $line == *$'\t'* ]] && desc=${line#*$'\t'}
    completions+=("${word//:/\\:}${desc:+:$desc}")
  done
  if (( ${#completions} )); then
    _describe -t gatehouse-candidates 'gatehouse' completions
  elif (( (directive & 4) == 0 )); then
    _files
  else
    return 1
  fi
}
if [[ ${funcstack[1]} == _gatehouse ]]; then
  _gatehouse "$@"
else
  compdef _gatehouse gatehouse
fi
)SCRIPT";

// fish: its own "word<TAB>description" format is the protocol's, so the lines pass through;
// file names through __fish_complete_path when none and files are allowed.
constexpr std::string_view kFish =
    R"SCRIPT(# fish completion for gatehouse: gatehouse completion fish | source
function __gatehouse_complete
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    set -l out ($tokens[1] __complete $tokens[2..-1] "$current" 2>/dev/null)
    or return
    test (count $out) -gt 0; or return
    set -l directive (string replace -r '^:' '' -- $out[-1])
    set -e out[-1]
    set -l found 0
    for line in $out
        if test -n "$line"
            echo $line
            set found 1
        end
    end
    if test $found -eq 0; and test (math "bitand($directive, 4)") -eq 0
        __fish_complete_path "$current"
    end
end
complete -c gatehouse -e
complete -c gatehouse -f -a '(__gatehouse_complete)'
)SCRIPT";

// PowerShell: the words before the cursor from the command's syntax tree; a CompletionResult
// per candidate; nothing (PowerShell's own path completion) when none and files are allowed.
// Windows PowerShell and pwsh before 7.3 drop an empty argument to a native command, so the
// empty word being completed goes as '""' there.
constexpr std::string_view kPowershell =
    R"SCRIPT(# powershell completion for gatehouse: gatehouse completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName 'gatehouse' -ScriptBlock {
    param($WordToComplete, $CommandAst, $CursorPosition)
    $elements = @($CommandAst.CommandElements | ForEach-Object { $_.Extent.Text })
    $program = $elements[0]
    $before = @($elements | Select-Object -Skip 1)
    if ($WordToComplete -ne '' -and $before.Count -gt 0) {
        $before = @($before | Select-Object -SkipLast 1)
    }
    $partial = $WordToComplete
    $v = $PSVersionTable.PSVersion
    if ($partial -eq '' -and ($v.Major -lt 7 -or ($v.Major -eq 7 -and $v.Minor -lt 3))) {
        $partial = '""'
    }
    $out = @(& $program __complete @before $partial 2>$null)
    if ($out.Count -eq 0) { return }
    $directive = [int]($out[-1].TrimStart(':'))
    $candidates = @()
    if ($out.Count -gt 1) { $candidates = $out[0..($out.Count - 2)] }
    $results = @(foreach ($line in $candidates) {
        if ($line -eq '') { continue }
        $parts = $line -split "`t", 2
        $tip = $parts[0]
        if ($parts.Count -gt 1 -and $parts[1] -ne '') { $tip = $parts[1] }
        [System.Management.Automation.CompletionResult]::new($parts[0], $parts[0], 'ParameterValue', $tip)
    })
    if ($results.Count -gt 0) { return $results }
    if (($directive -band 4) -ne 0) { return '' }
}
)SCRIPT";

}  // namespace

std::string_view completionScript(std::string_view shell) {
  if (shell == "bash") {
    return kBash;
  }
  if (shell == "zsh") {
    return kZsh;
  }
  if (shell == "fish") {
    return kFish;
  }
  if (shell == "powershell") {
    return kPowershell;
  }
  return {};
}

}  // namespace gatehouse::cli
