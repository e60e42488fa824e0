"""sprig v3.3.0 functions through the template engine, against outputs known from Go.

Most cases are sprig's own Go test tables (strings_test.go, list_test.go, dict_test.go,
numeric_test.go, defaults_test.go, regex_test.go, semver_test.go, ...) and its documented
examples; the others are Go semantics that those functions inherit (fmt %v, strconv, reflect).
Data is decoded as Go's encoding/json does: every number is a float64.
"""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from meshctl.gotemplate import TemplateError, render
from meshctl.gotemplate.host import HostAccess
from meshctl.gotemplate.sprig import txt_func_map

SPRIG_FUNCS = txt_func_map(HostAccess.local())


def run(template: str, data=None) -> str:
    return render(template, data if data is not None else {}, funcs=SPRIG_FUNCS)


def exec_error(template: str, data=None) -> str:
    with pytest.raises(TemplateError) as info:
        run(template, data)
    assert info.value.phase == "exec"
    return str(info.value)


STRINGS = [
    ('{{"fooo" | substr 0 3 }}', "foo"),
    ('{{ substr 1 -1 "abcdef" }}', "bcdef"),
    ('{{ substr -1 2 "abcdef" }}', "ab"),
    ('{{ substr 2 99 "abcdef" }}', "cdef"),
    ('{{ "foooooo" | trunc 3 }}', "foo"),
    ('{{ "baaaaaar" | trunc -3 }}', "aar"),
    ('{{ "baaaaaar" | trunc -999 }}', "baaaaaar"),
    ('{{ "baaaaaz" | trunc 0 }}', ""),
    ('{{ trunc 63 "short" }}', "short"),
    ('{{quote "a" "b" "c"}}', '"a" "b" "c"'),
    ('{{quote "\\"a\\"" "b" "c"}}', '"\\"a\\"" "b" "c"'),
    ("{{quote 1 2 3 }}", '"1" "2" "3"'),
    ('{{ .value | quote }}', ""),
    ('{{ quote .missing "x" }}', '"x"'),
    ('{{ quote "tab\\there" "é" "\\x01" }}', '"tab\\there" "é" "\\x01"'),
    ("{{ quote .f .big .t }}", '"15020" "1e+06" "true"'),
    ('{{squote "a" "b" "c"}}', "'a' 'b' 'c'"),
    ("{{squote 1 2 3 }}", "'1' '2' '3'"),
    ("{{ .value | squote }}", ""),
    ('{{if contains "cat" "fair catch"}}1{{end}}', "1"),
    ('{{if hasPrefix "cat" "catch"}}1{{end}}', "1"),
    ('{{if hasSuffix "cat" "ducat"}}1{{end}}', "1"),
    ('{{trim "   5.00   "}}', "5.00"),
    ('{{trimAll "$" "$5.00$"}}', "5.00"),
    ('{{ "-_.my-pod_.-" | trimAll "-_." }}', "my-pod"),
    ('{{trimPrefix "$" "$5.00"}}', "5.00"),
    ('{{trimSuffix "$" "5.00$"}}', "5.00"),
    ('{{$v := "foo$bar$baz" | split "$"}}{{$v._0}}', "foo"),
    ('{{$v := "foo$bar$baz" | splitn "$" 2}}{{$v._0}}', "foo"),
    ('{{$v := "foo$bar$baz" | splitn "$" 2}}{{$v._1}}', "bar$baz"),
    ('{{ splitList "," "a,b,,c" }}', "[a b  c]"),
    ('{{ splitList "" "héj" | len }}', "3"),
    ("{{ toString 1 | kindOf }}", "string"),
    ("{{ toString .f }}", "15020"),
    ("{{ toString .big }}", "1e+06"),
    ("{{ $s := list 1 2 3 | toStrings }}{{ index $s 1 | kindOf }}", "string"),
    ("{{ list 1 .value 2 | toStrings }}", "[1 2]"),
    ('{{ tuple "a" "b" "c" | join "-" }}', "a-b-c"),
    ('{{ tuple 1 2 3 | join "-" }}', "1-2-3"),
    ('{{ join "-" .s }}', "foo"),
    ('{{ join "-" .mixed }}', "a-c"),
    ('{{ list "c" "a" "b" | sortAlpha | join "" }}', "abc"),
    ('{{ list 2 1 4 3 | sortAlpha | join "" }}', "1234"),
    ('{{$b := "b"}}{{"c" | cat "a" $b}}', "a b c"),
    ('{{ .value | cat "a" "b" }}', "a b"),
    ('{{ cat 1 .f (list 1 2) }}', "1 15020 [1 2]"),
    ('{{indent 4 "a\\nb\\nc"}}', "    a\n    b\n    c"),
    ('{{nindent 4 "a\\nb\\nc"}}', "\n    a\n    b\n    c"),
    ('{{"I Am Henry VIII" | replace " " "-"}}', "I-Am-Henry-VIII"),
    ('{{$num := len "two"}}{{$num}} {{$num | plural "1 char" "chars"}}', "3 chars"),
    ('{{len "t" | plural "cheese" "%d chars"}}', "cheese"),
    ('{{ repeat 3 "ab" }}', "ababab"),
    ('{{ upper "hello ß" }}', "HELLO ß"),
    ('{{ lower "HELLO" }}', "hello"),
    ('{{ title "hello world-wide_web" }}', "Hello World-Wide_web"),
    ('{{ untitle "Hello World" }}', "hello world"),
    ('{{ swapcase "This Is A.Test" }}', "tHIS iS a.tEST"),
    ('{{ abbrev 5 "hello world" }}', "he..."),
    ('{{ abbrev 3 "hello world" }}', "hello world"),
    ('{{ abbrevboth 5 10 "1234 5678 9123" }}', "...5678..."),
    ('{{ initials "First Try" }}', "FT"),
    ('{{ nospace "h e l l o " }}', "hello"),
    ('{{ wrap 5 "Hello World" }}', "Hello\nWorld"),
    ('{{ wrapWith 5 "\\t" "Hello World" }}', "Hello\tWorld"),
    ('{{ wrapWith 3 "|" "abcdefg" }}', "abc|def|g"),
    ('{{ snakecase "FirstName" }}', "first_name"),
    ('{{ snakecase "HTTPServer" }}', "http_server"),
    ('{{ snakecase "NoHTTPS" }}', "no_https"),
    # huandu/xstrings ToSnakeCase test table
    ('{{ snakecase "_AnotherTES_TCaseP" }}', "_another_tes_t_case_p"),
    ('{{ snakecase "HELLO____WORLD" }}', "hello____world"),
    ('{{ snakecase "  sentence case  " }}', "__sentence_case__"),
    ('{{ snakecase " Mixed-hyphen case _and SENTENCE_case and UPPER-case" }}',
     "_mixed_hyphen_case__and_sentence_case_and_upper_case"),
    ('{{ snakecase "http2xx" }} {{ snakecase "HTTP2XX" }} {{ snakecase "HTTP20xOK" }}', "http_2xx http2_xx http_20x_ok"),
    ('{{ snakecase "Duration2m3s" }} {{ snakecase "Bld4Floor3rd" }} {{ snakecase "Wi_thF" }}', "duration_2m3s bld4_floor_3rd wi_th_f"),
    ('{{ kebabcase "HELLO_WORLD" }}', "hello-world"),
    ('{{ kebabcase "FirstName" }}', "first-name"),
    ('{{ camelcase "http_server" }}', "HttpServer"),
    ('{{ camelcase "_complex__case_" }}', "_Complex_Case_"),
    ('{{ camelcase "some words here" }}', "SomeWordsHere"),
    ('{{ b64enc "Hello World" }}', "SGVsbG8gV29ybGQ="),
    ('{{ b64dec "SGVsbG8gV29ybGQ=" }}', "Hello World"),
    ('{{ b64dec "SGVsbG8gV29ybGQ" }}', "illegal base64 data at input byte 12"),
    ('{{ b64dec "SGV*" }}', "illegal base64 data at input byte 3"),
    ('{{ b32enc "Hello World" }}', "JBSWY3DPEBLW64TMMQ======"),
    ('{{ b32dec "JBSWY3DPEBLW64TMMQ======" }}', "Hello World"),
    ('{{ sha256sum "hello" }}', hashlib.sha256(b"hello").hexdigest()),
    ('{{ sha1sum "hello" }}', "aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d"),
    ('{{ adler32sum "hello" }}', "103547413"),
    ("{{ hello }}", "Hello!"),
]



NUMBERS = [
    ("{{ 3 | add1 }}", "4"),
    ("{{ add 1 2 3 }}", "6"),
    ("{{ add 1.9 .f }}", "15021"),
    ('{{ add "2" "0x10" "010" "12.00" "1.5" }}', "38"),
    ("{{ sub 5 .two }}", "3"),
    ("{{ 4 | div 5 }}", "1"),
    ("{{ div -7 2 }}", "-3"),
    ("{{ mod 10 4 }}", "2"),
    ("{{ mod -7 2 }}", "-1"),
    ('{{ 1 | mul "1" 2 "3" "4"}}', "24"),
    ("{{ biggest 1 2 3 345 5 6 7}}", "345"),
    ("{{ max 345}}", "345"),
    ("{{ min 1 2 3 345 5 6 7}}", "1"),
    ("{{ maxf 1 2.5 .f }}", "15020"),
    ("{{ minf 1 2.5 -3.5 }}", "-3.5"),
    ("{{ round 3.746 2 0.5 }}", "3.75"),
    ("{{ round 3.746 2 }}", "3.75"),
    ("{{ round 123.5555 3 }}", "123.556"),
    ('{{ round "123.5555" 3 }}', "123.556"),
    ("{{ round 123.500001 0 }}", "124"),
    ("{{ round 123.49999999 0 }}", "123"),
    ("{{ round 123.2329999 2 .3 }}", "123.23"),
    ("{{ round 123.233 2 .3 }}", "123.24"),
    ("{{ floor 1.5 }}", "1"),
    ("{{ ceil 1.5 }}", "2"),
    ("{{ floor -1.5 }}", "-2"),
    ("{{ ceil -0.5 }} {{ round -0.4 0 }} {{ round -0.4 0 -0.5 }}", "-0 -1 -0"),
    ('{{ floor "2.7" }} {{ ceil .f }} {{ round 1.5 400 }}', "2 15020 NaN"),
    ("{{ 3 | add1f }}", "4"),
    ("{{ addf 1 2 3 }}", "6"),
    ("{{ addf 1.1 2.2 }}", "3.3"),
    ("{{ 3 | subf 4.5 1 }}", "0.5"),
    ("{{ 2 | divf 5 4 }}", "0.625"),
    ("{{ divf 1 3 }}", "0.3333333333333333"),
    ('{{ 1.2 | mulf "1" 2.4 "3" "4"}}', "34.56"),
    ('{{ "102" | int }}', "102"),
    ('{{ "102" | int64 }}', "102"),
    ("{{ .f | int }}", "15020"),
    ("{{ 3.9 | int }}", "3"),
    ('{{ "12.50" | int }}', "0"),
    ('{{ "0b101" | int }}', "5"),
    ('{{ "1_000" | int }}', "1000"),
    ('{{ "nope" | int }}', "0"),
    ("{{ true | int }}", "1"),
    ("{{ .missing | int }}", "0"),
    ('{{ "3.14" | float64 }}', "3.14"),
    ('{{ "1e6" | float64 }}', "1e+06"),
    ('{{ "x" | float64 }}', "0"),
    ('{{ atoi "42" }}', "42"),
    ('{{ atoi "4.2" }}', "0"),
    ('{{ atoi "+7" }}', "7"),
    ('{{ "777" | toDecimal }}', "511"),
    ("{{ 770 | toDecimal }}", "504"),
    ("{{ seq 0 1 3 }}", "0 1 2 3"),
    ("{{ seq 0 3 10 }}", "0 3 6 9"),
    ("{{ seq 3 3 2 }}", ""),
    ("{{ seq 3 -3 2 }}", "3"),
    ("{{ seq }}", ""),
    ("{{ seq 0 4 }}", "0 1 2 3 4"),
    ("{{ seq 5 }}", "1 2 3 4 5"),
    ("{{ seq -5 }}", "1 0 -1 -2 -3 -4 -5"),
    ("{{ seq 0 }}", "1 0"),
    ("{{ seq 0 1 2 3 }}", ""),
    ("{{ seq 0 -4 }}", "0 -1 -2 -3 -4"),
    ("{{range $i, $e := until 5}}{{$i}}{{$e}}{{end}}", "0011223344"),
    ("{{range $i, $e := until -5}}{{$i}}{{$e}} {{end}}", "00 1-1 2-2 3-3 4-4 "),
    ("{{range $i, $e := untilStep 0 5 1}}{{$i}}{{$e}}{{end}}", "0011223344"),
    ("{{range $i, $e := untilStep 3 6 1}}{{$i}}{{$e}}{{end}}", "031425"),
    ("{{range $i, $e := untilStep 0 -10 -2}}{{$i}}{{$e}} {{end}}", "00 1-2 2-4 3-6 4-8 "),
    ("{{range $i, $e := untilStep 3 0 1}}{{$i}}{{$e}}{{end}}", ""),
    ("{{range $i, $e := untilStep 3 99 0}}{{$i}}{{$e}}{{end}}", ""),
    ("{{range $i, $e := untilStep 3 99 -1}}{{$i}}{{$e}}{{end}}", ""),
    ("{{range $i, $e := untilStep 3 0 0}}{{$i}}{{$e}}{{end}}", ""),
    ("{{ add 9223372036854775807 1 }}", "-9223372036854775808"),
]



DEFAULTS = [
    ('{{ "" | default "foo" }}', "foo"),
    ('{{ .Nothing | default "123" }}', "123"),
    ('{{ default "123" .Nothing }}', "123"),
    ('{{ "bar" | default "foo" }}', "bar"),
    ("{{ 0 | default 7 }}", "7"),
    ("{{ .zero | default 7 }}", "7"),
    ("{{ false | default true }}", "true"),
    ("{{ .emptyList | default 1 }}", "1"),
    ("{{ .emptyMap | default 1 }}", "1"),
    ('{{ .null | default "n" }}', "n"),
    ('{{ default "x" }}', "x"),
    ("{{if empty 1}}1{{else}}0{{end}}", "0"),
    ("{{if empty 0}}1{{else}}0{{end}}", "1"),
    ('{{if empty ""}}1{{else}}0{{end}}', "1"),
    ("{{if empty 0.0}}1{{else}}0{{end}}", "1"),
    ("{{if empty false}}1{{else}}0{{end}}", "1"),
    ("{{if empty .Nothing}}1{{else}}0{{end}}", "1"),
    ("{{ coalesce 1 }}", "1"),
    ('{{ coalesce "" 0 nil 2 }}', "2"),
    ('{{ $two := 2 }}{{ coalesce "" $two 0 0 0 }}', "2"),
    ('{{ coalesce "" 0 }}', "<no value>"),
    ('{{ all 1 "a" true }}', "true"),
    ('{{ all 1 "" true }}', "false"),
    ('{{ any 0 "" .Nothing }}', "false"),
    ('{{ any 0 "x" }}', "true"),
    ('{{true | ternary "foo" "bar"}}', "foo"),
    ('{{ternary "foo" "bar" false}}', "bar"),
    ('{{ .Top | toJson }}', '{"bool":true,"html":"\\u003cHEAD\\u003e","number":42,"string":"test"}'),
    ('{{ .Top | toRawJson }}', '{"bool":true,"html":"<HEAD>","number":42,"string":"test"}'),
    ('{{ .Top | mustToRawJson }}', '{"bool":true,"html":"<HEAD>","number":42,"string":"test"}'),
    ('{{ .Top | toPrettyJson }}', '{\n  "bool": true,\n  "html": "\\u003cHEAD\\u003e",\n  "number": 42,\n  "string": "test"\n}'),
    ('{{ list 1 .big "x" | toJson }}', '[1,1000000,"x"]'),
    ('{{ $m := fromJson "{\\"a\\": [1, 2.5]}" }}{{ $m.a }} {{ index $m.a 0 | kindOf }}', "[1 2.5] float64"),
    ('{{ fromJson "{bad" }}', "<no value>"),
    ('{{ $c := deepCopy .Top }}{{ $_ := set $c "bool" false }}{{ .Top.bool }} {{ $c.bool }}', "true false"),
]



DICTS = [
    ('{{$d := dict 1 2 "three" "four" 5}}{{range $k, $v := $d}}{{$k}}={{$v}};{{end}}', "1=2;5=;three=four;"),
    ('{{ $d := dict "one" 1 "two" 222222 }}{{ $d2 := dict "one" 1 "two" 33333 }}{{ $d3 := dict "one" 1 }}'
     '{{ $d4 := dict "one" 1 "two" 4444 }}{{ pluck "two" $d $d2 $d3 $d4 }}', "[222222 33333 4444]"),
    ('{{ dict "foo" 1 "bar" 2 | keys | sortAlpha }}', "[bar foo]"),
    ('{{- $d := dict "one" 1 "two" 222222 }}{{ pick $d "two" | len -}}', "1"),
    ('{{- $d := dict "one" 1 "two" 222222 }}{{ pick $d "two" "three" | keys -}}', "[two]"),
    ('{{- $d := dict "one" 1 "two" 222222 }}{{ omit $d "one" | keys -}}', "[two]"),
    ('{{- $d := dict "one" 1 }}{{ get $d "one" -}}', "1"),
    ('{{- $d := dict "one" 1 }}{{ get $d "two" -}}', ""),
    ('{{- $d := dict "one" 1 "two" 222222 -}}{{- $_ := set $d "two" 2 -}}{{- $_ := set $d "three" 3 -}}'
     "{{- if (hasKey $d \"one\") -}}{{$d.one}}{{- end -}}{{- if (hasKey $d \"two\") -}}{{$d.two}}{{- end -}}"
     '{{- if (hasKey $d "three") -}}{{$d.three}}{{- end -}}', "123"),
    ('{{- $d := dict "one" 1 "two" 2 -}}{{- $_ := unset $d "two" -}}{{ keys $d }}', "[one]"),
    ('{{- $d := dict "a" 1 "b" 2 }}{{ values $d | sortAlpha | join "," }}', "1,2"),
    ('{{- $d := dict "a" (dict "b" (dict "c" 1)) }}{{ dig "a" "b" "c" "" $d }}', "1"),
    ('{{- $d := dict "a" (dict "b" (dict "c" 1)) }}{{ dig "a" "b" "z" "2" $d }}', "2"),
    # mergo: merge keeps non-empty dst values (false/0/"" count as empty), mergeOverwrite lets src win.
    ('{{ $dst := dict "a" 1 "b" false "c" (dict "x" 1) }}{{ $src := dict "a" 2 "b" true "c" (dict "x" 2 "y" 3) "d" 4 }}'
     "{{ merge $dst $src | toJson }}", '{"a":1,"b":true,"c":{"x":1,"y":3},"d":4}'),
    ('{{ $dst := dict "default" "default" "overwrite" "me" "key" true }}'
     '{{ $src := dict "overwrite" "overwritten" "key" false }}{{ mergeOverwrite $dst $src | toJson }}',
     '{"default":"default","key":false,"overwrite":"overwritten"}'),
    ('{{ $dst := dict "a" 1 }}{{ $_ := merge $dst (dict "b" 2) (dict "c" 3) }}{{ $dst | toJson }}', '{"a":1,"b":2,"c":3}'),
]



LISTS = [
    ('{{$t := tuple 1 "a" "foo"}}{{index $t 2}}{{index $t 0 }}{{index $t 1}}', "foo1a"),
    ("{{ $t := tuple 1 2 3  }}{{ push $t 4 | len }}", "4"),
    ("{{ $t := tuple 1 2 3  }}{{ append $t 4 }}", "[1 2 3 4]"),
    ("{{ $t := tuple 1 2 3  }}{{ prepend $t 4 }}", "[4 1 2 3]"),
    ("{{ list 1 2 3 | first }}", "1"),
    ("{{ list | first }}", "<no value>"),
    ('{{ regexSplit "/src/" "foo/src/bar" -1 | first }}', "foo"),
    ("{{ list 1 2 3 | last }}", "3"),
    ("{{ list | last }}", "<no value>"),
    ("{{ list 1 2 3 | rest | len }}", "2"),
    ("{{ list | rest }}", "[]"),
    ("{{ list 1 2 3 | initial | len }}", "2"),
    ("{{ list 1 2 3 | initial | last }}", "2"),
    ("{{ list | initial }}", "[]"),
    ("{{ list 1 2 3 | reverse | first }}", "3"),
    ("{{ list 1 2 3 4 | reverse }}", "[4 3 2 1]"),
    ("{{ list | reverse }}", "[]"),
    ('{{ list 1 0 "" "hello" | compact }}', "[1 hello]"),
    ('{{ list "" "" | compact }}', "[]"),
    ("{{ list 1 2 3 4 | uniq }}", "[1 2 3 4]"),
    ("{{ list 1 1 1 1 2 2 2 2 | uniq }}", "[1 2]"),
    ('{{ list "foo" 1 1 1 1 "foo" "foo" | uniq }}', "[foo 1]"),
    ("{{ list 1 .one | uniq }}", "[1 1]"),  # int 1 and float64 1 differ for reflect.DeepEqual
    ("{{ without (list 1 2 3 4) 1 }}", "[2 3 4]"),
    ('{{ without (list "a" "b" "c" "d") "a" }}', "[b c d]"),
    ("{{ without (list 1 1 1 1 2) 1 }}", "[2]"),
    ("{{ without (list) 1 }}", "[]"),
    ("{{ without (list 1 2 3) }}", "[1 2 3]"),
    ("{{ list 1 2 3 | has 1 }}", "true"),
    ("{{ list 1 2 3 | has 4 }}", "false"),
    ("{{ list 1 2 3 | has .one }}", "false"),
    ('{{ regexSplit "/" "foo/bar/baz" -1 | has "bar" }}', "true"),
    ('{{ has "bar" nil }}', "false"),
    ("{{ slice (list 1 2 3) }}", "[1 2 3]"),
    ("{{ slice (list 1 2 3) 0 1 }}", "[1]"),
    ("{{ slice (list 1 2 3) 1 3 }}", "[2 3]"),
    ("{{ slice (list 1 2 3) 1 }}", "[2 3]"),
    ('{{ slice (regexSplit "/" "foo/bar/baz" -1) 1 2 }}', "[bar]"),
    ("{{ slice (list) }}", "<no value>"),
    ("{{ concat (list 1 2 3) }}", "[1 2 3]"),
    ("{{ concat (list 1 2 3) (list 4 5) (list) }}", "[1 2 3 4 5]"),
    ("{{ concat (list 1 2 3) (list 4 5) (list nil) }}", "[1 2 3 4 5 <nil>]"),
    ('{{ concat (list 1 2 3) (list 4 5) (list ( list "foo" ) ) }}', "[1 2 3 4 5 [foo]]"),
    ("{{ tuple 1 2 3 4 5 6 7 | chunk 3 | len }}", "3"),
    ("{{ tuple | chunk 3 | len }}", "0"),
    ("{{ tuple 1 2 3 4 5 6 7 | chunk 3 | first }}", "[1 2 3]"),
    ("{{ tuple 1 2 3 4 5 6 7 8 | chunk 2 | last }}", "[7 8]"),
    ("{{ list 1 2 | chunk 3 | len }}", "1"),
    ("{{ $c := list }}{{ $c = append $c \"a\" }}{{ $c = append $c \"b\" }}{{ join \",\" $c }}", "a,b"),
    ("{{ deepEqual (list 1 (dict \"a\" 2)) (list 1 (dict \"a\" 2)) }} {{ deepEqual 1 1.0 }}", "true false"),
]



REGEX_AND_MORE = [
    ('{{ regexMatch "^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\\\.[A-Za-z]{2,}$" "test@acme.com" }}', "true"),
    ('{{ regexMatch "^[a-z]+$" "abc\\n" }}', "false"),  # RE2 $ is end of text, not before a final newline
    ('{{ regexMatch "(?m)^b$" "a\\nb\\nc" }}', "true"),
    ('{{ regexMatch "\\\\d" "٣" }}', "false"),  # RE2 \\d is ASCII only
    ('{{ regexMatch "\\\\bfoo\\\\b" "éfooé" }} {{ regexMatch "\\\\Bo" "foo" }}', "true true"),  # ASCII \\b
    ('{{ regexReplaceAll "\\\\101\\\\x{42}\\\\x43" "ABC" "octal+hex" }}', "octal+hex"),
    ('{{ regexMatch "[[:alpha:]]+[[:digit:]]" "ab1" }}', "true"),
    ('{{ regexMatch "^\\\\pL+$" "héllo" }} {{ regexMatch "^\\\\p{L}+$" "héllo1" }} {{ regexMatch "\\\\PL" "abc" }}', "true false false"),
    ('{{ regexFindAll "\\\\p{Lu}" "aBcD" -1 }} {{ regexFind "[\\\\p{N}x]+" "ax٣4" }} {{ regexMatch "^\\\\p{^L}+$" "123" }}',
     "[B D] x٣4 true"),
    ('{{ regexMatch "(?<year>\\\\d{4})" "in 2024" }}', "true"),
    # Unicode scripts and negated classes inside [] (regexp/syntax knows them as RE2 does)
    ('{{ regexMatch "^\\\\p{Greek}+$" "αβγ" }} {{ regexMatch "\\\\p{Greek}" "a" }}', "true false"),
    ('{{ regexMatch "^[^\\\\PL]+$" "abc" }} {{ regexMatch "[^\\\\PL]" "1" }}', "true false"),
    # regexp.go allMatches / replaceAll move on by a rune after an empty match, never into one
    ('{{ regexReplaceAll "a*" "é" "x" }} {{ regexFindAll "" "héllo" -1 | len }} {{ regexSplit "" "hé" -1 }}', "xéx 6 [h é]"),
    ('{{ regexReplaceAll "(?i)k" "K\u212a" "x" }} {{ regexMatch "(?i)ſ" "S" }}', "xx true"),  # simple case folding, as Go
    # linear time: a backtracking engine takes 2^60 steps here (tests/hostile has the template from a cluster)
    ('{{ regexMatch "(a+)+$" (printf "%sb" (repeat 60 "a")) }} {{ regexMatch "(x+x+)+y" (repeat 5000 "x") }}', "false false"),
    ('{{ regexFind "(?U)a+" "aaa" }} {{ regexFind "(?U)a+?" "aaa" }} {{ regexFind "(?U)a{1,2}" "aaa" }}', "a aaa a"),
    ('{{ regexMatch "a(?i)b" "aB" }} {{ regexMatch "(a(?i)b)c" "aBC" }} {{ regexMatch "(?-i)a" "A" }}', "true false false"),
    ('{{ regexMatch "(?i:a)B" "Ab" }} {{ regexMatch "(?s)a.b" "a\\nb" }} {{ regexMatch "a.b" "a\\nb" }}', "false true false"),
    ('{{ regexFindAll "a{2}" "aaaaaaa" -1 | len }}', "3"),
    ('{{ regexFindAll "a{2}" "aaaaaaa" 2 }}', "[aa aa]"),
    ('{{ regexFindAll "a{2}" "none" -1 | len }}', "0"),
    ('{{ regexFindAll "a*" "baaac" -1 }}', "[ aaa ]"),
    ('{{ regexFind "[a-zA-Z][1-9]" "abcd1234" }}', "d1"),
    ('{{ regexFind "x" "abc" }}', ""),
    ('{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "${1}W" }}', "-W-xxW-"),
    ('{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "$1W" }}', "---"),
    ('{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "$$1" }}', "-$1-$1-"),
    ('{{ regexReplaceAll "(?P<k>\\\\w+)=(\\\\w+)" "a=b c=d" "$2=${k}" }}', "b=a d=c"),
    ('{{ regexReplaceAll "a*" "baaac" "x" }}', "xbxcx"),
    ('{{ regexReplaceAll "(a)" "a" "${1 }|$01|$1|$" }}', "${1 }||a|$"),
    # Go reads names of letters and Nd digits, and group numbers in ASCII: "¹" ends the name, "١" is a name.
    ('{{ regexReplaceAll "(a)" "xax" "[$\u00b9]" }}', "x[$\u00b9]x"),
    ('{{ regexReplaceAll "(a)" "xax" "[$\u0661|${\u0661}]" }}', "x[|]x"),
    ('{{ regexReplaceAllLiteral "a(x*)b" "-ab-axxb-" "${1}" }}', "-${1}-${1}-"),
    ('{{ regexSplit "a" "banana" 0 | len }}', "0"),
    ('{{ regexSplit "a" "banana" 1 }}', "[banana]"),
    ('{{ regexSplit "a" "banana" 2 }}', "[b nana]"),
    ('{{ regexSplit "z+" "pizza" -1 }}', "[pi a]"),
    ('{{ regexSplit "a*" "abaabaccadaaae" 5 }}', "[ b b c cadaaae]"),
    ('{{ regexSplit "," "" -1 | len }}', "1"),
    ('{{ regexQuoteMeta "1.5-2.0?" }}', "1\\.5-2\\.0\\?"),
    ('{{ semverCompare "1.2.3" "1.2.3" }}', "true"),
    ('{{ semverCompare "^1.2.0" "1.2.3" }}', "true"),
    ('{{ semverCompare "^1.2.0" "2.2.3" }}', "false"),
    ('{{ semverCompare ">= 1.2.3, < 2" "1.9.0" }}', "true"),
    ('{{ semverCompare ">1.0 || <0.5" "0.4.0" }}', "true"),
    ('{{ semverCompare "~1.2" "1.2.9" }}', "true"),
    ('{{ semverCompare "~1.2" "1.3.0" }}', "false"),
    ('{{ semverCompare "1.2.x" "1.2.7" }}', "true"),
    ('{{ semverCompare "1.2 - 1.4.5" "1.4.5" }}', "true"),
    ('{{ semverCompare ">=1.2.0" "1.3.0-beta.1" }}', "false"),
    ('{{ semverCompare ">=1.2.0-0" "1.3.0-beta.1" }}', "true"),
    ('{{ semverCompare "^0.2.3" "0.3.0" }}', "false"),
    ('{{ semverCompare "*" "9.9.9" }}', "true"),
    ('{{ semver "v1.2" }}', "1.2.0"),
    ('{{ $s := semver "1.2.3-beta.1+c0ff33" }}{{ $s.Prerelease }} {{ $s.Major }} {{ $s.Metadata }} {{ $s.Original }}',
     "beta.1 1 c0ff33 1.2.3-beta.1+c0ff33"),
    ('{{ (semver "1.3.0").GreaterThan (semver "1.2.3") }} {{ (semver "1.2.3").Compare (semver "1.2.3") }}', "true 0"),
    ('{{ (semver "1.0.0-alpha").LessThan (semver "1.0.0-alpha.1") }}', "true"),
    ('{{ (semver "1.0.0-alpha.beta").LessThan (semver "1.0.0-beta") }} {{ (semver "1.0.0-rc.1").LessThan (semver "1.0.0") }}',
     "true true"),
    ('{{ kindOf "hi" }} {{ kindOf 1 }} {{ kindOf .f }} {{ kindOf .m }} {{ kindOf .l }} {{ kindOf nil }} {{ kindOf true }}',
     "string int float64 map slice invalid bool"),
    ("{{ typeOf .f }} {{ typeOf .m }} {{ typeOf .l }} {{ typeOf nil }} {{ typeOf 1 }}",
     "float64 map[string]interface {} []interface {} <nil> int"),
    ('{{ typeIs "float64" .f }} {{ typeIsLike "float64" .f }} {{ kindIs "map" .m }} {{ kindIs "slice" .m }}',
     "true true true false"),
    ('{{ base "foo/bar" }} {{ base "/a/b/" }} {{ base "" }}', "bar b ."),
    ('{{ dir "foo/bar/baz" }} {{ dir "baz" }} {{ dir "/x" }}', "foo/bar . /"),
    ('{{ clean "/foo/../foo/../bar" }} {{ clean "a//b/./c/.." }} {{ clean "../../x" }} {{ clean "" }}', "/bar a/b ../../x ."),
    ('{{ ext "/foo/bar/baz.txt" }} {{ ext "/a.b/c" }} {{ isAbs "/foo" }} {{ isAbs "foo" }}', ".txt  true false"),
    ('{{ osBase "/a/b.pem" }} {{ osDir "/a/b.pem" }}', "b.pem /a"),
    ('{{ duration "95" }} {{ duration 3661 }} {{ duration "x" }}', "1m35s 1h1m1s 0s"),
    ('{{ durationRound "2h10m5s" }} {{ durationRound "400h" }} {{ durationRound "1s" }}', "2h 16d 0s"),
    ('{{ urlParse "https://u:p@example.com:8443/a/b?q=1#frag" | toJson }}',
     '{"fragment":"frag","host":"example.com:8443","hostname":"example.com","opaque":"","path":"/a/b",'
     '"query":"q=1","scheme":"https","userinfo":"u:p"}'),
    ('{{ urlJoin (dict "scheme" "https" "host" "example.com" "path" "/x" "query" "a=b") }}', "https://example.com/x?a=b"),
    # dates: Go int Unix seconds or time.Time values; layouts use Go's reference time
    ('{{ dateInZone "2006-01-02 15:04:05 MST" 0 "UTC" }}', "1970-01-01 00:00:00 UTC"),
    ('{{ dateInZone "Mon Jan _2 3:04PM .000 -07:00 Z0700" 1700000000 "Asia/Kolkata" }}', "Wed Nov 15 3:43AM .000 +05:30 +0530"),
    ('{{ dateInZone "January 2, 06 15h04 MST" 1700000000 "Europe/Paris" }}', "November 14, 23 23h13 CET"),
    ('{{ dateInZone "2006-01-02" 0 "No/Such_Zone" }}', "1970-01-01"),
    ('{{ htmlDateInZone 86400 "UTC" }}', "1970-01-02"),
    ('{{ $t := toDate "2006-01-02T15:04:05Z07:00" "2017-12-31T10:11:12Z" }}{{ unixEpoch $t }} {{ $t }} {{ $t | toJson }}',
     '1514715072 2017-12-31 10:11:12 +0000 UTC "2017-12-31T10:11:12Z"'),
    ('{{ (toDate "2006-01-02T15:04:05Z07:00" "2017-12-31T10:11:12.5+02:00").UTC }}', "2017-12-31 08:11:12.5 +0000 UTC"),
    ('{{ toDate "2006-01-02T15:04:05Z07:00" "2017-12-31T10:11:12Z" | dateModify "-1.5h" | unixEpoch }}', "1514709672"),
    ('{{ toDate "2006-01-02T15:04:05Z07:00" "2017-12-31T10:11:12Z" | dateModify "bogus" | unixEpoch }}', "1514715072"),
    ('{{ toDate "2006-01-02" "bad" }}', "0001-01-01 00:00:00 +0000 UTC"),
    ("{{ now | typeOf }} {{ now | kindOf }}", "time.Time struct"),
    ('{{ randAlphaNum 12 | len }} {{ randNumeric 5 | regexMatch "^[0-9]{5}$" }} {{ uuidv4 | len }}', "12 true 36"),
]



# One data set for all tables; every number is a float64, as encoding/json decodes it.
DATA = {
    "value": None, "null": None, "f": 15020.0, "big": 1e6, "t": True, "s": "foo", "mixed": ["a", None, "c"],
    "two": 2.0, "one": 1.0, "zero": 0.0, "emptyList": [], "emptyMap": {}, "m": {}, "l": [],
    "Top": {"bool": True, "html": "<HEAD>", "number": 42.0, "string": "test"},
}


@pytest.mark.parametrize(("template", "expected"), STRINGS + NUMBERS + DEFAULTS + DICTS + LISTS + REGEX_AND_MORE)
def test_function(template, expected):
    assert run(template, DATA) == expected


def test_env_and_expandenv(monkeypatch):
    monkeypatch.setenv("MESHCTL_SPRIG_TEST", "v1")
    assert run('{{ env "MESHCTL_SPRIG_TEST" }}|{{ expandenv "x=$MESHCTL_SPRIG_TEST ${MESHCTL_SPRIG_TEST}!" }}') == "v1|x=v1 v1!"


ERRORS = [
    ('{{ fail "boom" }}', "error calling fail: boom"),
    ('{{ append "abc" 1 }}', "error calling append: Cannot push on type string"),
    ('{{ first 3 }}', "error calling first: Cannot find first on type int"),
    ('{{ slice "abc" 1 }}', "error calling slice: list should be type of slice or array but string"),
    ('{{ concat (list 1) "x" }}', "error calling concat: Cannot concat type string as list"),
    ("{{ div 1 0 }}", "error calling div: runtime error: integer divide by zero"),
    ("{{ trunc .f \"abc\" }}", "wrong type for value; expected int; got float64"),
    ('{{ upper 1 }}', "wrong type for value; expected string; got int"),
    ('{{ hasKey (list) "a" }}', "wrong type for value; expected map[string]interface {}; got []interface {}"),
    ('{{ regexMatch "(" "x" }}', "error parsing regexp: missing closing ): `(`"),
    ('{{ regexMatch "a(?=b)" "ab" }}', "invalid or unsupported Perl syntax: `(?=`"),
    ('{{ mustRegexFind "\\\\1" "a" }}', "invalid escape sequence: `\\1`"),
    ('{{ regexMatch "(?x)a" "a" }}', "error parsing regexp: invalid or unsupported Perl syntax: `(?x`"),
    ('{{ regexMatch "a**" "a" }}', "error parsing regexp: invalid nested repetition operator: `**`"),
    ('{{ regexMatch "a{1001}" "a" }}', "error parsing regexp: invalid repeat count: `{1001}`"),
    ('{{ regexMatch "[z-a]" "a" }}', "error parsing regexp: invalid character class range: `z-a`"),
    ('{{ regexMatch "\\\\" "a" }}', "error parsing regexp: trailing backslash at end of expression: ``"),
    ('{{ semverCompare "^1.x.y.z" "1.2.3" }}', "improper constraint: ^1.x.y.z"),
    ('{{ semverCompare "^1" "bad" }}', "Invalid Semantic Version"),
    ('{{ mustFromJson "{" }}', "unexpected end of JSON input"),
    ("{{ mustToJson .nan }}", "json: unsupported value: NaN"),
    ('{{ repeat -1 "x" }}', "strings: negative Repeat count"),
    ('{{ round 1.25 1 "0.5" }}', "wrong type for value; expected float64; got string"),
    ('{{ substr 4 2 "abcdef" }}', "slice bounds out of range"),
    ('{{ dig "a" "b" }}', "dig needs at least three arguments"),
    ('{{ mustToDate "2006-01-02" "x" }}', 'parsing time "x" as "2006-01-02": cannot parse'),
    ('{{ mustDateModify "bogus" now }}', 'time: invalid duration "bogus"'),
    ('{{ unixEpoch "2017" }}', "wrong type for value; expected time.Time; got string"),
    ('{{ bcrypt "x" }}', "is not implemented by meshctl"),
    ('{{ genSignedCert "x" nil nil 3 "not a CA" }}', "wrong type for value; expected sprig.certificate; got string"),
    ('{{ genSelfSignedCert "x" (list "not-an-ip") nil 3 }}', "error parsing ip: not-an-ip"),
    ('{{ buildCustomCert "%%%" "" }}', "unable to decode base64 certificate"),
]


@pytest.mark.parametrize(("template", "fragment"), ERRORS)
def test_errors_are_exec_errors_with_go_messages(template, fragment):
    assert fragment in exec_error(template, {"f": 1.0, "nan": float("nan")})


def test_to_json_swallows_errors_like_sprig():
    assert run("{{ toJson .nan }}|{{ toPrettyJson .nan }}", {"nan": float("nan")}) == "|"


def test_every_sprig_name_is_registered():
    # sprig.TxtFuncMap() v3.3.0 has 211 names (istio-funcs.md); the list there names them all.
    from helpers import GOTEMPLATE_CORPUS, require_shared

    doc = require_shared(GOTEMPLATE_CORPUS / "istio-funcs.md").read_text()
    other = re.search(r"### The other 198 sprig names.*?\n\n`([^`]+)`", doc, re.S).group(1).split()
    used = ["default", "quote", "nindent", "list", "append", "join", "trimAll", "trunc"]
    named = ["hasKey", "toJson", "fromJson", "trimPrefix", "trimSuffix", "dict", "indent", "contains", "omit", "env", "slice"]
    expected = set(other) | set(used) | set(named)
    assert len(other) == 198
    assert expected <= SPRIG_FUNCS.keys()
    assert len(SPRIG_FUNCS) == 211


def test_certificates_are_real_and_signed_by_their_ca():
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric import padding

    out = run('{{ $ca := genCA "my-ca" 365 }}{{ $c := genSignedCert "svc" (list "10.0.0.1") (list "a.example") 30 $ca }}'
              "{{ $ca.Cert }}|{{ $c.Cert }}|{{ $c.Key }}|{{ buildCustomCert ($c.Cert | b64enc) ($c.Key | b64enc) | typeOf }}")
    ca_pem, cert_pem, key_pem, built = out.split("|")
    ca, cert = x509.load_pem_x509_certificate(ca_pem.encode()), x509.load_pem_x509_certificate(cert_pem.encode())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert cert.issuer == ca.subject and cert.subject.rfc4514_string() == "CN=svc"
    ca.public_key().verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(), cert.signature_hash_algorithm)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["10.0.0.1"]
    assert san.get_values_for_type(x509.DNSName) == ["a.example"]
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days == 30
    assert key_pem.startswith("-----BEGIN RSA PRIVATE KEY-----")  # crypto.go pemBlockForKey: PKCS#1
    assert built == "sprig.certificate"


def test_private_keys_and_aes():
    assert run('{{ genPrivateKey "ecdsa" }}').startswith("-----BEGIN EC PRIVATE KEY-----\n")
    assert run('{{ genPrivateKey "ed25519" }}').startswith("-----BEGIN PRIVATE KEY-----\n")
    assert run('{{ genPrivateKey "rsa2" }}') == "Unknown type rsa2"
    out = run('{{ $e := encryptAES "secretkey" "plaintext" }}{{ $e }}|{{ decryptAES "secretkey" $e }}|{{ encryptAES "k" "" }}')
    crypt, plain, empty = out.split("|")
    assert len(base64.b64decode(crypt)) == 32 and plain == "plaintext" and empty == ""  # IV + one padded block
    assert run('{{ encryptAES "k" "x" }}') != run('{{ encryptAES "k" "x" }}')  # a random IV each time


# sprig crypto_test.go TestDerivePassword (the Master Password algorithm's reference values)
@pytest.mark.parametrize(
    ("counter", "kind", "expected"),
    [(1, "long", "ZedaFaxcZaso9*"), (2, "long", "Fovi2@JifpTupx"), (1, "maximum", "pf4zS1LjCg&LjhsZ7T2~"),
     (1, "medium", "ZedJuz8$"), (1, "basic", "pIS54PLs"), (1, "short", "Zed5"), (1, "pin", "6685"),
     (1, "nope", "cannot find password template nope")],
)
def test_derive_password(counter, kind, expected):
    assert run(f'{{{{ derivePassword {counter} "{kind}" "password" "user" "example.com" }}}}') == expected
