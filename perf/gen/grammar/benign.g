# Benign content, hard on purpose: the words, quotes, brackets and scripts
# that real users type and that naive signatures mistake for attacks.

first_name = "Mary" | "John" | "Siobhan" | "Zoë" | "José" | "Jean-Luc" | "Anne-Marie"
	| "Øyvind" | "Chloé" | "Mohammed" | "Aisha" | "Wei" | "Yuki" | "Olga" | "Björn"
	| "Nguyễn" | "Priya" | "Seán" | "D'Arcy" | "Renée" | "Łukasz" | "Ana" | "Tom"
	| "Emily" | "Grace" | "Liam" | "Noah" | "Sofía" | "Mateo" | "Fatima" | "Ólafur"
	| "Kwame" | "Dmitri" | "Ines" | "Hana" | "Select" | "Union" | "Sandy" | "Drew"
	| "Chad" | "Frank" | "Ty" | "Bobby" | "Null" | "True" | "Script" | "Alert" ;
last_name = "O'Brien" | "O'Connor" | "D'Angelo" | "McDonald" | "Smith" | "Müller"
	| "García" | "Dubois" | "Van der Berg" | "Nakamura" | "Kowalski" | "Ólafsdóttir"
	| "Ng" | "Al-Farsi" | "Schröder" | "Çelik" | "Ødegård" | "Zhang" | "Li" | "Kim"
	| "Popescu" | "N'Diaye" | "St. John" | "de la Cruz" | "Fitz-Simmons" | "Drop"
	| "Select" | "Union" | "Table" | "Null" | "Sleep" | "Cat" | "Echo" | "Bash"
	| "Order" | "Wait" | "Payne" | "Jones" | "Brown" | "Wilson" | "Taylor" ;
person = first_name " " last_name | first_name " " last_name | first_name " "
	("J." | "Q." | "van" | "de") " " last_name | "Dr. " first_name " " last_name ;

password = [3] @alnum(8,14) | word_cap @digits(2,4) ("!" | "?" | "#" | "$" | "%" | "&" | "*")
	| word_cap ("_" | "-" | ".") word_cap @digits(1,3)
	| "correct horse " @word " staple" | word_cap "'s" @digits(2,4) "!" ;
word_cap = "Summer" | "Winter" | "Dragon" | "Monkey" | "Select" | "Union" | "Admin"
	| "Shadow" | "Sunshine" | "Qwerty" | "Football" | "Passw0rd" | "Letmein" ;

city = "Springfield" | "Zürich" | "São Paulo" | "Kraków" | "Québec" | "Orléans"
	| "St. John's" | "Coeur d'Alene" | "Union City" | "Reading" | "Bath" | "Nice"
	| "Toronto" | "München" | "Malmö" | "Reykjavík" | "İstanbul" | "Łódź" | "Ōsaka"
	| "Berlin" | "Lisbon" | "New Orleans" | "Des Moines" | "Truth or Consequences" ;

street = @int(1,999) " " ("Main" | "Union" | "Church" | "Mill" | "O'Connell" | "Rue de la Paix"
	| "Königstraße" | "Select" | "Drop" | "Table Rock") " " ("St" | "St." | "Ave" | "Rd"
	| "Blvd" | "Lane" | "Way") (", Apt " @int(1,40))? ;
address = street ", " city ;
zip = @digits(5,5) | @digits(4,4) " " ("AB" | "XY" | "CD") | "SW1A " @digits(1,1) "AA" ;
phone = "+1 " @digits(3,3) "-" @digits(3,3) "-" @digits(4,4) | "(" @digits(3,3) ") "
	@digits(3,3) "-" @digits(4,4) | "+44 20 " @digits(4,4) " " @digits(4,4)
	| "+49 (0)30 " @digits(6,8) ;

# Free text: reviews, notes, bios. SQL, shell and HTML words on purpose.
comment = [3] sentence | sentence " " sentence | sentence " " emoji
	| sentence " " sentence " " sentence | short ;
sentence = opener " " middle closer ;
opener = "Loved it" | "I'd say" | "Honestly" | "Please" | "Note:" | "FYI" | "Update:"
	| "Select" | "Drop" | "Order" | "We'll" | "Don't" | "It's" | "Can't wait" | "P.S."
	| "Alert:" | "Heads up" | "Quick one" | "Re:" | "Ok so" | "Rock & roll" ;
middle = "select the best seat for me" | "union station pickup at 5" | "drop by after work"
	| "the plot twist <3" | "1=1 isn't a proof, it's an axiom" | "delete my old address please"
	| "insert coin to continue" | "or else we'll be late" | "and/or both work"
	| "the script was great" | "table for two, by the window" | "my wife's favourite"
	| "the director's cut (2003)" | "it's 5 > 3 stars for me" | "50% off was a steal"
	| "cats & dogs; both fine" | "this | that, whatever" | "ping me when it's back"
	| "sleep well, great ending" | "curl up with a blanket" | "echo chamber vibes"
	| "the <b>best</b> one" | "line 1 <br> line 2" | "use -- as a separator"
	| "price ${total} on the receipt" | "shows {{name}} in the e-mail" | "C:\\Users\\me\\Videos"
	| "see https://www.example.com/help?id=12&lang=en" | "exec summary: it's fine"
	| "O'Reilly's book, \"chapter 3\"" | "SELECT * FROM wishlist, ha" | "whoami? just a fan"
	| "and 1=1 and all that" | "drop table talk" | "the order by date is wrong"
	| "café au lait & croissant" | "naïve but fun" | "日本語の字幕がほしい" | "Привет из Москвы"
	| "مرحبا" | "Ελληνικά υπότιτλοι" | "emoji test 👍🎬" | "a < b and b > c" | "x=\"y\"" ;
closer = "." | "!" | "!!" | "?" | " :)" | " ;)" | "..." | "" | " <3" | " ;-)" ;
short = "ok" | "thx" | "n/a" | "-" | "?" | "10/10" | "meh" | "'" | "\"" | "<3" | ":-)" ;
emoji = "🙂" | "🔥" | "❤️" | "👍" | "🎉" | "☕" ;

search = [3] film_word | film_word " " film_word | "union station" | "select comfort"
	| "drop dead gorgeous" | "the order" | "insert title here" | "who's afraid of virginia woolf"
	| "o'brien" | "amélie" | "rock & roll high school" | "10 things i hate about you"
	| "se7en" | "<3" | "\"exact phrase\"" | "c++ tutorial" | "50%" | "1=1" | "mr. & mrs. smith"
	| "ring -movie" | "sleep" | "cat people" | "killing eve" | "script" | "alert" | "*" ;
film_word = "alien" | "matrix" | "love" | "night" | "star" | "ghost" | "river" | "city"
	| "king" | "drop" | "select" | "union" | "table" | "shell" | "script" | "where" | "from"
	| "sleep" | "echo" | "exec" | "or" | "and" | "null" | "true" | "like" ;
title = "The " film_word " " ("Returns" | "Strikes Back" | "of Doom" | "Union" | "Selection"
	| "& Co." | "(Director's Cut)" | "<Redux>" | "2: Electric Boogaloo") | film_word_cap ;
film_word_cap = "Drop Zone" | "Select Few" | "Union Station" | "Order of the Phoenix"
	| "Table 19" | "Sleepless in Seattle" | "Shell Game" | "Echo Park" | "Null Island" ;

bio = comment | "<p>" sentence "</p>" | "I <em>love</em> " film_word " movies"
	| "Films & TV; " city | "Dev by day -- cinephile by night" | "rm -rf boredom"
	| "#cinema #" film_word ;
note = comment | "leave at door" | "ring twice; dog's friendly" | "call +1 555-0100"
	| "gate code 1234#" | "back door (the blue one)" | "don't ring -- baby asleep" ;
promo = "" | "SUMMER" @digits(2,2) | "WELCOME10" | "UNION" @digits(1,2) | "SELECT5" ;
company = "O'Neil & Sons" | "Acme, Inc." | "Select Comfort" | "Union Pacific" | "Drop Inc"
	| "Müller GmbH" | "Société Générale" ;
reason = "moving" | "too expensive" | "didn't like it" | "won't use it; sorry"
	| "select another plan" | "drop my subscription" | "other" ;

# URLs and files a benign client sends (avatars, documents, webhooks).
avatar_url = "https://cdn.example.com/avatars/" @hex(16,16) ".jpg"
	| "https://images.example.org/u/" @int "/photo.png?size=" ("64" | "128" | "256")
	| "https://www.gravatar.com/avatar/" @hex(32,32) "?d=identicon"
	| "https://s3.amazonaws.com/bucket-" @word "/" @word ".jpeg"
	| "http://photos.example.net/" @word "/" @int ".gif" ;
webhook_url = "https://hooks.example.com/services/" @alnum(8,8) "/" @alnum(10,10)
	| "https://partner.example.net/callbacks/dvd?token=" @hex(12,12)
	| "https://api.example.org/v2/notify" | "http://internal-notify.example.com:8080/hook" ;
filename = @word ("_" @word)? "." ("jpg" | "png" | "pdf" | "docx" | "txt" | "csv")
	| "resume (final).pdf" | "scan 2026-03-01.png" | "O'Brien_contract.pdf"
	| "my photo.jpeg" | "invoice#" @int ".pdf" | "Ünterlagen.pdf" | "report.v2.final.xlsx"
	| "id-card_front.jpg" | "..hidden.txt" | "select.png" ;
doc_path = "documents/" filename | "uploads/" @int "/" filename | filename ;
plate = ("AB" | "XY" | "KL" | "B") "-" @digits(3,4) | @digits(3,3) "-" ("ABC" | "XYZ") ;
vehicle = ("Toyota" | "Škoda" | "Citroën" | "Ford" | "Tesla") " " ("Prius" | "Octavia"
	| "C4" | "Focus" | "Model 3") ;
license = @alnum(8,12) ;
card_token = "tok_" @alnum(16,24) ;
device_id = @hex(16,16) ;
host_name = @word ".example.com" | "printer-" @int(1,40) ".office.example.net" ;

# Clients.
ua_browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/1" @int(20,31) ".0.0.0 Safari/537.36"
	| "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17." @int(0,6) " Safari/605.1.15"
	| "Mozilla/5.0 (X11; Linux x86_64; rv:1" @int(20,33) ".0) Gecko/20100101 Firefox/1" @int(20,33) ".0"
	| "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/1" @int(20,31) ".0.0.0 Safari/537.36 Edg/1" @int(20,31) ".0.0.0" ;
ua_mobile = "DVDRental/" @int(3,5) "." @int(0,20) " (iPhone; iOS 1" @int(6,8) "." @int(0,5) "; Scale/3.00)"
	| "okhttp/4." @int(9,12) "." @int(0,3)
	| "Mozilla/5.0 (Linux; Android 1" @int(3,5) "; Pixel " @int(6,9) ") AppleWebKit/537.36 (KHTML, like Gecko) Chrome/1" @int(20,31) ".0.0.0 Mobile Safari/537.36"
	| "Dalvik/2.1.0 (Linux; U; Android 1" @int(2,5) "; SM-S9" @int(10,28) "B Build/UP1A.2310" @int(10,30) ".00" @int(1,9) ")" ;
ua_tool = "sqlmap/1." @int(6,8) "." @int(1,12) "#stable (https://sqlmap.org)"
	| "Mozilla/5.0 (compatible; Nuclei - Open-source project (github.com/projectdiscovery/nuclei))"
	| "curl/8." @int(0,10) ".1" | "python-requests/2." @int(28,32) ".0"
	| "Go-http-client/1.1" | "Wfuzz/3.1.0" | "Fuzz Faster U Fool v2.1.0-dev"
	| "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101 Firefox/115.0"
	| "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/1" @int(20,31) ".0.0.0 Safari/537.36"
	| "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000" @int(100,999) ")"
	| "Mozilla/5.0 (compatible; ZAP/2.14)" | "Burp Suite Professional" | "Java/17.0." @int(1,12) ;
ua_bot = "python-requests/2." @int(28,32) ".0" | "Scrapy/2." @int(9,12) ".0 (+https://scrapy.org)"
	| "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/1" @int(20,31) ".0.0.0 Safari/537.36"
	| "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
	| "node-fetch/1.0 (+https://github.com/bitinn/node-fetch)" | "axios/1." @int(4,7) ".2"
	| ua_browser ;

# Credential attacks: breached combo-list users and guessed passwords.
breach_user = @word @digits(0,4) "@" ("gmail.com" | "yahoo.com" | "hotmail.com" | "example.com"
	| "mail.ru" | "web.de") | @word ("." | "_") @word @digits(0,2) | "admin" | "test"
	| "root" | "user" @digits(1,3) | "info@" @word ".com" ;
password_guess = "123456" | "password" | "12345678" | "qwerty" | "111111" | "iloveyou"
	| "admin" | "welcome" | "Password1" | "P@ssw0rd" | "letmein" | "monkey" | "dragon"
	| word_cap @digits(2,4) ("!" | "") | "Winter2026!" | "Spring2026" | @alnum(6,10)
	| @word @digits(1,4) ;

# Broken authentication: JWT "kid" header injection.
kid_injection = "../../../../../../dev/null" | "../../../../proc/sys/kernel/randomize_va_space"
	| "' UNION SELECT 'key' -- " | "key1' OR '1'='1" | "/dev/null" | "; cat /etc/passwd"
	| "http://" @word ".oast.fun/jwks.json" | "../../../../../etc/hostname" ;

# Reconnaissance and function-level probing: paths the app does not serve.
admin_path = ("/admin" | "/api/admin" | "/internal" | "/api/v1/admin" | "/manage" | "/backoffice")
	("/users" | "/users/" @int | "/config" | "/roles" | "/settings" | "/export" | "/reports"
	| "/debug" | "/refunds" | "/promote" | "/impersonate?user=" @int) ;
recon_path = admin_path | "/.env" | "/.git/config" | "/actuator" ("/env" | "/health" | "/heapdump" | "/mappings" | "")
	| "/swagger.json" | "/v2/api-docs" | "/openapi.yaml" | "/api/v" @int(0,3) "/" ("users" | "customers" | "export" | "debug")
	| "/graphql" | "/server-status" | "/metrics" | "/wp-login.php" | "/phpinfo.php"
	| "/.well-known/openid-configuration" | "/console" | "/api/internal/" @word
	| "/" @word "/" @word ".bak" | "/backup.zip" | "/config.json" ;
probe_method = [6] "GET" | [2] "POST" | "PUT" | "DELETE" | "OPTIONS" ;
