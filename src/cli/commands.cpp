#include "cli/command.h"

namespace gatehouse::cli {

int runAdapt(const std::vector<std::string>& args);
int runValidate(const std::vector<std::string>& args);
int runFmt(const std::vector<std::string>& args);
int runVersion(const std::vector<std::string>& args);
int runBuildInfo(const std::vector<std::string>& args);
int runListModules(const std::vector<std::string>& args);
int runManpage(const std::vector<std::string>& args);
int runCompletion(const std::vector<std::string>& args);
int runRun(const std::vector<std::string>& args);
int runStart(const std::vector<std::string>& args);
int runReload(const std::vector<std::string>& args);
int runStop(const std::vector<std::string>& args);
int runCerts(const std::vector<std::string>& args);
int runHashPassword(const std::vector<std::string>& args);
int runTrust(const std::vector<std::string>& args);
int runUntrust(const std::vector<std::string>& args);
int runEnviron(const std::vector<std::string>& args);
int runReverseProxy(const std::vector<std::string>& args);
int runFileServer(const std::vector<std::string>& args);
int runRespond(const std::vector<std::string>& args);

const std::vector<Command>& commands() {
  static const std::vector<Command> kCommands = {
      {"adapt", "Print the Caddy JSON config for a Caddyfile",
       "usage: gatehouse adapt [--config FILE] [--adapter caddyfile|json] [--pretty] [--validate]\n"
       "  --config FILE   the config to adapt (default ./Caddyfile; '-' reads stdin)\n"
       "  --adapter NAME  caddyfile (default) or json\n"
       "  --pretty        indent the JSON\n"
       "  --validate      also check that the config provisions, as validate does (exit 1 if not)\n",
       &runAdapt},
      {"validate", "Check a config; prints FILE:LINE:COL: message on error",
       "usage: gatehouse validate [--config FILE] [--adapter caddyfile|json]\n"
       "Exits 0 when the config is valid, 1 with the first error otherwise.\n",
       &runValidate},
      {"fmt", "Format a Caddyfile as 'caddy fmt' does",
       "usage: gatehouse fmt [--overwrite] [--diff] [FILE | -]\n"
       "Prints the formatted Caddyfile (default ./Caddyfile), or rewrites it with --overwrite.\n",
       &runFmt},
      {"run", "Serve a config until SIGINT/SIGTERM",
       "usage: gatehouse run [--config FILE] [--adapter caddyfile|json] [--resume] [--watch] [--envfile "
       "FILE]\n"
       "                     [--environ] [--pidfile FILE] [--workers N]\n"
       "  --config FILE   the config to serve (default ./Caddyfile; with neither, the admin endpoint alone)\n"
       "  --resume        serve the last autosaved config ($XDG_CONFIG_HOME/caddy/autosave.json) if any\n"
       "  --watch         reload the config file when it changes (for development)\n"
       "  --envfile FILE  KEY=VALUE lines to add to the environment first\n"
       "  --environ       print the environment before starting\n"
       "  --pidfile FILE  write the process id to FILE while running\n"
       "  --adapter NAME  caddyfile (default) or json (chosen by a .json name)\n"
       "  --workers N     event-loop threads (default: one per core; env GATEHOUSE_WORKERS)\n"
       "  --pingback ADDR  once serving, send what stdin gives to ADDR (used by start)\n",
       &runRun},
      {"start", "Start 'run' in the background and return once it serves (stop with 'stop')",
       "usage: gatehouse start [--config FILE] [--adapter caddyfile|json] [--envfile FILE] [--pidfile FILE]\n"
       "                       [--watch] [--workers N]\n"
       "Launches 'gatehouse run' with these flags and waits until it serves (exit 0, printing its pid)\n"
       "or exits (exit 1). Its log goes to this command's stdout and stderr.\n",
       &runStart},
      {"reverse-proxy", "Proxy one address to upstreams, as 'caddy reverse-proxy' (HTTPS for a host)",
       "usage: gatehouse reverse-proxy [--from ADDR] --to UPSTREAM [--to UPSTREAM...] "
       "[--change-host-header]\n"
       "                               [--insecure] [--internal-certs] [--debug] [--workers N]\n"
       "  --from ADDR           where to listen (default localhost: HTTPS on 443); a host gets a "
       "certificate,\n"
       "                        http:// or no host serves plain HTTP\n"
       "  --to UPSTREAM         an upstream (http:// default, https://, h2c://, unix/PATH); repeat to "
       "balance\n"
       "  --change-host-header  send the upstream's host:port as Host\n"
       "  --insecure            do not verify the upstreams' TLS certificates\n"
       "  --internal-certs      certificates from the local CA instead of ACME\n"
       "  --debug               debug logging\n",
       &runReverseProxy},
      {"file-server", "Serve static files, as 'caddy file-server' (HTTPS for a --domain)",
       "usage: gatehouse file-server [--root DIR] [--listen ADDR] [--domain NAME] [--browse] [--templates]\n"
       "                             [--access-log] [--debug] [--workers N]\n"
       "  --root DIR      the site's root (default: the current directory)\n"
       "  --listen ADDR   where to listen (default :80, or :443 with --domain)\n"
       "  --domain NAME   serve only this host; a domain gets a certificate and HTTPS\n"
       "  --browse        list directories that have no index file\n"
       "  --templates     render templates in the files served\n"
       "  --access-log    log every request\n"
       "  --debug         debug logging\n",
       &runFileServer},
      {"respond", "Answer every request with a fixed response, as 'caddy respond' (for testing)",
       "usage: gatehouse respond [--listen ADDR] [--status CODE] [--body TEXT] [--header 'Field: value'...]\n"
       "                         [--access-log] [--debug] [--workers N] [BODY | STATUS]\n"
       "  --listen ADDR   where to listen (default :0, a free port); a port range (:8000-8002) starts\n"
       "                  one server per port\n"
       "  --status CODE   the status (default 200); a lone 3-digit argument sets it too\n"
       "  --body TEXT     the body (else the argument, else what is piped on stdin); a template:\n"
       "                  {{.N}} the server's number, {{.Port}} its port, {{.Address}} its address\n"
       "  --header H      a response header field \"Field: value\" (repeat for more)\n"
       "  --access-log    log every request\n"
       "  --debug         debug logging\n"
       "Prints 'Server address: ADDR' for each listener once serving.\n",
       &runRespond},
      {"reload", "Send a new config to a running gatehouse (admin endpoint POST /load)",
       "usage: gatehouse reload [--config FILE] [--adapter caddyfile|json] [--address ADDR] [--force]\n"
       "  --address  the admin endpoint, HOST:PORT or unix//PATH (default: the config's admin address,\n"
       "             else localhost:2019)\n"
       "  --force    reload even when the config is unchanged (Cache-Control: must-revalidate)\n",
       &runReload},
      {"stop", "Stop a running gatehouse gracefully (admin endpoint POST /stop)",
       "usage: gatehouse stop [--config FILE [--adapter caddyfile|json]] [--address ADDR]\n"
       "  --address  the admin endpoint, HOST:PORT or unix//PATH (default: the admin address of\n"
       "             --config, else localhost:2019)\n",
       &runStop},
      {"certs", "Obtain and renew certificates into files (for other web servers)",
       "usage: gatehouse certs [--config FILE] [--daemon]\n"
       "  --config FILE   global options and 'certificates' blocks (default ./Caddyfile)\n"
       "  --daemon        keep running and renew certificates when due\n",
       &runCerts},
      {"hash-password", "Print a bcrypt hash of a password for basic_auth",
       "usage: gatehouse hash-password [--plaintext P] [--algorithm bcrypt] [--salt S]\n"
       "  --plaintext P   the password (default: prompted twice on a terminal, else the first\n"
       "                  line of standard input)\n"
       "  --algorithm A   bcrypt (the only one supported; cost 14, as Caddy)\n"
       "  --salt S        scrypt's salt: refused, as scrypt is not supported (bcrypt salts itself)\n",
       &runHashPassword},
      {"trust", "Install a pki CA's root certificate into the system trust store",
       "usage: gatehouse trust [--address ADDR | --config FILE [--adapter NAME]] [--storage DIR] [--ca ID]\n"
       "  --address ADDR  take the root from a running server's admin API (GET /pki/ca/ID), as caddy\n"
       "  --config FILE   take the storage root and pki options from this config\n"
       "  --adapter NAME  the config's adapter: caddyfile (default) or json\n"
       "  --storage DIR   the storage root (default $XDG_DATA_HOME/caddy or ~/.local/share/caddy)\n"
       "  --ca ID         the CA whose root to trust (default local)\n"
       "Without --address the root comes from storage, the CA created when there is none, so it can\n"
       "be trusted before the server first runs. Changing the system store needs root;\n"
       "GATEHOUSE_TRUST_STORE=DIR names an isolated store instead (DIR/etc/ca-certificates.crt).\n",
       &runTrust},
      {"untrust", "Remove a pki CA's root certificate from the system trust store",
       "usage: gatehouse untrust [--cert FILE | --address ADDR | --config FILE [--adapter NAME]] [--ca ID]\n"
       "  --cert FILE     the certificate to remove (alone: no other flag with it)\n"
       "  --address ADDR  remove the root a running server's admin API gives (GET /pki/ca/ID)\n"
       "  --config FILE   a config (checked; the root is found by its CA's ID)\n"
       "  --adapter NAME  the config's adapter: caddyfile (default) or json\n"
       "  --ca ID         the CA whose root to remove (default local)\n"
       "Needs root for the system store; GATEHOUSE_TRUST_STORE=DIR names an isolated one.\n",
       &runUntrust},
      {"environ", "Print the environment and the directories gatehouse uses", "usage: gatehouse environ\n",
       &runEnviron},
      {"manpage", "Write section 8 manual pages for every command into a directory",
       "usage: gatehouse manpage --directory DIR\n"
       "Writes gatehouse.8 and gatehouse-<command>.8 (each command's usage) into DIR, created if\n"
       "missing; read one with 'man -l DIR/gatehouse-run.8'.\n",
       &runManpage},
      {"completion", "Print a shell completion script (bash, zsh, fish, powershell)",
       "usage: gatehouse completion bash|zsh|fish|powershell\n"
       "Load it with:\n"
       "  bash:        source <(gatehouse completion bash)  (or save it in "
       "/etc/bash_completion.d/gatehouse)\n"
       "  zsh:         gatehouse completion zsh > \"${fpath[1]}/_gatehouse\"  (with compinit enabled)\n"
       "  fish:        gatehouse completion fish | source  (or save it in ~/.config/fish/completions/)\n"
       "  powershell:  gatehouse completion powershell | Out-String | Invoke-Expression\n",
       &runCompletion},
      {"version", "Print the version", "usage: gatehouse version\n", &runVersion},
      {"list-modules", "List the Caddy module IDs this build provisions",
       "usage: gatehouse list-modules [--skip-standard] [--packages] [--versions]\n"
       "  --skip-standard  leave out the modules of Caddy's standard distribution\n"
       "  --packages, --versions  accepted as caddy's; a C++ build has no Go package or version to add\n",
       &runListModules},
      {"build-info", "Print the compiler, target and library versions of this build",
       "usage: gatehouse build-info\n"
       "As 'caddy build-info' for a Go build: the compiler, the target, and each library's version\n"
       "as the running process has it.\n",
       &runBuildInfo},
  };
  return kCommands;
}

}  // namespace gatehouse::cli
