/* Every filter, function and date helper of the expression engine, with its
 * error cases. */
#include "tests/unit/platform/expr_case.h"

static const expr_case_t cases[] = {
    /* case */
    {"{{ 'héllo wörld' | upper }}", "HÉLLO WÖRLD"},
    {"{{ 'HÉLLO' | lower }}", "héllo"},
    {"{{ 'hello bIG world' | title }}", "Hello Big World"},
    {"{{ 'hello world' | capitalize }}", "Hello world"},
    {"{{ 42 | upper }}", "42"},
    /* trim */
    {"[{{ '  a b \\n\\t' | trim }}]", "[a b]"},
    {"[{{ '   ' | trim }}]", "[]"},
    /* replace */
    {"{{ 'a-b-c' | replace('-', '+') }}", "a+b+c"},
    {"{{ 'Hello %name%' | replace({'%name%': 'Ada', 'Hello': 'Hi'}) }}", "Hi Ada"},
    {"{{ 'aaa' | replace('a', 'aa') }}", "aaaaaa"},
    {"{{ 'abc' | replace('', 'x') }}", "abc"},
    {"{{ 'abc' | replace('b') }}", "!1:12: replace expects a map of pairs or two strings"},
    {"{{ 'abc' | replace({'b': 1}, 'x') }}", "!1:12: give no second argument"},
    /* split */
    {"{{ 'a,b,,c' | split(',') }}", "[\"a\",\"b\",\"\",\"c\"]"},
    {"{{ 'a::b::c' | split('::', 2) }}", "[\"a\",\"b::c\"]"},
    {"{{ 'héj' | split('') }}", "[\"h\",\"é\",\"j\"]"},
    {"{{ '' | split(',') }}", "[\"\"]"},
    {"{{ 'abc' | split(1) }}", "!1:12: split delimiter expects a string, got integer"},
    {"{{ 'abc' | split(',', 'x') }}", "!1:12: split limit must be an integer"},
    /* startsWith / endsWith */
    {"{{ 'weft.io' | startsWith('weft') }} {{ 'weft.io' | startsWith('io') }}", "true false"},
    {"{{ 'weft.io' | endsWith('.io') }} {{ 'io' | endsWith('weft.io') }}", "true false"},
    /* urlencode */
    {"{{ 'a b&c=d/é*~' | urlencode }}", "a+b%26c%3Dd%2F%C3%A9*%7E"},
    /* base64 */
    {"{{ 'hello' | base64encode }} {{ 'hi' | base64encode }} {{ '' | base64encode }}",
     "aGVsbG8= aGk= "},
    {"{{ 'aGVsbG8=' | base64decode }} {{ 'aGk=' | base64decode }}", "hello hi"},
    {"{{ 'weft' | base64encode | base64decode }}", "weft"},
    {"{{ 'a$b=' | base64decode }}", "!1:13: base64decode: invalid character at offset 1"},
    {"{{ 'abcde' | base64decode }}", "!1:14: not a multiple of 4"},
    /* sha256 */
    {"{{ 'abc' | sha256 }}", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
    {"{{ '' | sha256 }}", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
    /* default */
    {"{{ inputs.missing | default('d') }} {{ inputs.nul | default('n') }} {{ inputs.empty | "
     "default('e') }} {{ inputs.name | default('x') }}",
     "d n e ada"},
    {"{{ [] | default([1]) }} {{ 0 | default(5) }} {{ false | default(true) }}", "[1] 0 false"},
    {"{{ nope.deep | default('deep') }}", "deep"},
    {"{{ inputs.name | default(nope) }}", "!1:26: undefined variable 'nope'"},
    /* length */
    {"{{ 'héllo' | length }} {{ inputs.list | length }} {{ inputs.map | length }} {{ inputs.nul | "
     "length }}",
     "5 3 2 0"},
    {"{{ 5 | length }}", "!1:8: length expects a string, list or map, got integer"},
    /* first / last */
    {"{{ inputs.list | first }} {{ inputs.list | last }} {{ 'héj' | first }} {{ 'héj' | last }}",
     "3 2 h j"},
    {"[{{ [] | first }}] [{{ '' | last }}] {{ 'é' | last }}", "[] [] é"},
    {"{{ inputs.map | first }}", "!1:17: first expects a list or string, got map"},
    /* join */
    {"{{ inputs.list | join(', ') }} {{ ['a', 1, true, null] | join }}", "3, 1, 2 a1true"},
    {"{{ [] | join('-') }}|", "|"},
    {"{{ 'abc' | join }}", "!1:12: join expects a list, got string"},
    /* slice */
    {"{{ 'héllo' | slice(1, 3) }} {{ inputs.list | slice(1) }} {{ [1, 2, 3] | slice(0, 2) }}",
     "él [1,2] [1,2]"},
    {"{{ 'abc' | slice(toIndex=1) }}", "a"},
    {"{{ 'abc' | slice(2, 9) }}", "!1:12: slice(2, 9) is out of range for a string of length 3"},
    {"{{ 'abc' | slice(-1) }}", "!1:12: out of range"},
    {"{{ 5 | slice(0) }}", "!1:8: slice expects a list or string"},
    /* keys / values */
    {"{{ inputs.map | keys }} {{ inputs.map | values }}", "[\"b\",\"a\"] [2,1]"},
    {"{{ inputs.list | keys }}", "!1:18: keys expects a map, got list"},
    {"{{ 'x' | values }}", "!1:10: values expects a map"},
    /* sort */
    {"{{ inputs.list | sort }} {{ inputs.strs | sort }} {{ [2.5, 1, -3] | sort }}",
     "[1,2,3] [\"a\",\"b\"] [-3,1,2.5]"},
    {"{{ inputs.map | keys | sort | join }}", "ab"},
    {"{{ [1, 'a'] | sort }}", "!1:15: sort expects a list of numbers or a list of strings"},
    /* abs */
    {"{{ -5 | abs }} {{ inputs.neg | abs }} {{ -2.5 | abs }} {{ 3 | abs }}", "5 3 2.5 3"},
    {"{{ 'x' | abs }}", "!1:10: abs expects a number, got string"},
    /* number */
    {"{{ '42' | number + 1 }} {{ '2.5' | number * 2 }} {{ ' 7 ' | number }}", "43 5.0 7"},
    {"{{ '2.9' | number('INT') }} {{ '3' | number('DOUBLE') }} {{ 4 | number }}", "2 3.0 4"},
    {"{{ 'abc' | number }}", "!1:12: 'abc' is not a number"},
    {"{{ '1e999' | number }}", "!1:14: is not a number"},
    {"{{ '12' | number('HEX') }}", "!1:11: number type must be INT, LONG, FLOAT or DOUBLE"},
    {"{{ [1] | number }}", "!1:10: number expects a string or number"},
    /* toJson / json / fromJson */
    {"{{ inputs.map | toJson }} {{ 'a\"b' | toJson }} {{ 1.5 | toJson }} {{ null | toJson }}",
     "{\"b\":2,\"a\":1} \"a\\\"b\" 1.5 null"},
    {"{{ (inputs.json | json).k[1] }} {{ (inputs.json | fromJson).k | length }}", "2 2"},
    {"{{ fromJson('[1, {\"a\": \"b\"}]')[1].a }} {{ fromJson('\"s\"') }} {{ fromJson('3') + 1 }}",
     "b s 4"},
    {"{{ '{bad' | fromJson }}", "!1:13: invalid JSON"},
    {"{{ fromJson(1) }}", "!1:4: fromJson expects a string, got integer"},
    /* functions */
    {"{{ range(1, 5) }} {{ range(0, 10, 5) }} {{ range(3, 1, -1) }} {{ range(3, 1) }}",
     "[1,2,3,4,5] [0,5,10] [3,2,1] []"},
    {"{{ range(1, 'x') }}", "!1:4: range end must be an integer, got string"},
    {"{{ printContext() | length > 100 }}", "true"},
    {"{{ (printContext() | fromJson).flow.id }}", "f"},
    /* dates: format, time zones, named formats */
    {"{{ execution.startDate | date('yyyy-MM-dd') }}", "2024-01-15"},
    {"{{ execution.startDate | date(\"yyyy-MM-dd'T'HH:mm:ss.SSS\") }}", "2024-01-15T10:20:30.123"},
    {"{{ execution.startDate | date }}", "2024-01-15T10:20:30.123456Z"},
    {"{{ execution.startDate | date('HH:mm z', timeZone='Europe/Paris') }}", "11:20 CET"},
    {"{{ '2024-07-15T10:20:30Z' | date('HH:mm z XXX', timeZone='Europe/Paris') }}",
     "12:20 CEST +02:00"},
    {"{{ execution.startDate | date('HH:mm XXX', timeZone='-05:30') }}", "04:50 -05:30"},
    {"{{ execution.startDate | date('EEEE d MMMM yy, h:mm a, D') }}",
     "Monday 15 January 24, 10:20 AM, 15"},
    {"{{ execution.startDate | date('EEE MMM dd yyyy G') }}", "Mon Jan 15 2024 AD"},
    {"{{ execution.startDate | date('Z ZZZZZ X xx') }}", "+0000 Z Z +0000"},
    {"{{ execution.startDate | date('iso_date') }} {{ execution.startDate | date('sql') }}",
     "2024-01-15 2024-01-15 10:20:30.123456"},
    {"{{ execution.startDate | date(\"'at' HH'h' ''\") }}", "at 10h '"},
    {"{{ '2024-01-15T10:20:30+02:00' | date('HH:mm') }}", "08:20"},
    {"{{ '2024-01-15T10:20:30[Europe/Paris]' | date('HH:mm') }}", "09:20"},
    {"{{ '2024-01-15' | date('yyyy/MM/dd HH:mm') }}", "2024/01/15 00:00"},
    {"{{ '2024-01-15 08:00' | date('HH:mm', timeZone='America/New_York') }}", "08:00"},
    {"{{ 0 | date }} {{ 1700000000 | date('yyyy-MM-dd HH:mm:ss') }}",
     "1970-01-01T00:00:00.000000Z 2023-11-14 22:13:20"},
    {"{{ -1 | date('yyyy-MM-dd HH:mm:ss') }}", "1969-12-31 23:59:59"},
    {"{{ 'July 24, 2001' | date('yyyy-MM-dd', existingFormat='MMMM dd, yyyy') }}", "2001-07-24"},
    {"{{ '24/07/01 3:05 PM' | date(\"yyyy-MM-dd'T'HH:mm\", existingFormat='dd/MM/yy h:mm a') }}",
     "2001-07-24T15:05"},
    {"{{ '2001.07.24 12:00 +0300' | date('HH:mm', existingFormat='yyyy.MM.dd HH:mm Z') }}",
     "09:00"},
    {"{{ 'nope' | date }}", "!1:13: 'nope' is not an ISO 8601 date"},
    {"{{ '2024-02-30' | date }}", "!1:19: is not an ISO 8601 date"},
    {"{{ '2024-01-15T25:00:00Z' | date }}", "!1:29: is not an ISO 8601 date"},
    {"{{ 'July' | date('yyyy', existingFormat='yyyy') }}", "!1:13: does not match the date format"},
    {"{{ execution.startDate | date('yyyy-QQ') }}", "!1:26: unknown date pattern letter 'Q'"},
    {"{{ execution.startDate | date(\"yyyy 'open\") }}", "!1:26: unterminated quote"},
    {"{{ execution.startDate | date('yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy') }}",
     "!1:26: too many 'y' in date pattern"},
    {"{{ execution.startDate | date('SSSSSSSSS') }}", "123456000"},
    {"{{ '99999999999999999999999' | date('yyyy', existingFormat='yyyyyyyyyyyyyyyyyyyyyyy') }}",
     "!1:32: does not match"},
    {"{{ execution.startDate | date('VV', timeZone='Asia/Tokyo') }}", "Asia/Tokyo"},
    {"{{ execution.startDate | date('HH', timeZone='Mars/Olympus') }}",
     "!1:26: unknown time zone 'Mars/Olympus'"},
    {"{{ [1] | date }}", "!1:10: expected a date"},
    {"{{ execution.startDate | date('d', locale='fr') }}", "!1:26: only English names"},
    /* dateAdd */
    {"{{ execution.startDate | dateAdd(1, 'DAYS') }}", "2024-01-16T10:20:30.123456Z"},
    {"{{ execution.startDate | dateAdd(-2, 'HOURS', 'HH:mm') }}", "08:20"},
    {"{{ '2024-01-31' | dateAdd(1, 'MONTHS', 'yyyy-MM-dd') }}", "2024-02-29"},
    {"{{ '2024-02-29' | dateAdd(1, 'YEARS', 'yyyy-MM-dd') }}", "2025-02-28"},
    {"{{ '2024-03-01' | dateAdd(-1, 'DAYS', 'yyyy-MM-dd') }}", "2024-02-29"},
    {"{{ '2024-01-01' | dateAdd(2, 'WEEKS', 'yyyy-MM-dd') }}", "2024-01-15"},
    {"{{ '2024-01-01T00:00:00Z' | dateAdd(90, 'SECONDS', 'HH:mm:ss') }}", "00:01:30"},
    {"{{ '2024-01-01T00:00:00Z' | dateAdd(1500, 'MILLIS', 'ss.SSS') }}", "01.500"},
    {"{{ '2024-01-01T00:00:00Z' | dateAdd(-1, 'MICROS', 'yyyy ss.SSSSSS') }}", "2023 59.999999"},
    /* DST: adding a day keeps the wall-clock time across the March change */
    {"{{ '2024-03-30T12:00:00+01:00' | dateAdd(1, 'DAYS', 'HH:mm XXX', 'Europe/Paris') }}",
     "12:00 +02:00"},
    {"{{ '2024-03-30T12:00:00+01:00' | dateAdd(24, 'HOURS', 'HH:mm XXX', 'Europe/Paris') }}",
     "13:00 +02:00"},
    {"{{ execution.startDate | dateAdd(1, 'FORTNIGHTS') }}", "!1:26: unknown dateAdd unit"},
    {"{{ execution.startDate | dateAdd('1', 'DAYS') }}", "!1:26: amount must be an integer"},
    {"{{ execution.startDate | dateAdd(999999999999, 'YEARS') }}", "!1:26: out of range"},
    /* timestamp */
    {"{{ '1970-01-02T00:00:00Z' | timestamp }}", "86400"},
    {"{{ execution.startDate | timestamp }}", "1705314030"},
    {"{{ '2024-01-15 11:20:30' | timestamp(timeZone='Europe/Paris') }}", "1705314030"},
    {"{{ '15/01/2024' | timestamp(existingFormat='dd/MM/yyyy') }}", "1705276800"},
    /* now */
    {"{{ now() }}", "2024-02-29T12:00:00.123456Z"},
    {"{{ now(timeZone='Asia/Kolkata') }}", "2024-02-29T17:30:00.123456+05:30"},
    {"{{ now() | date('yyyy') }}", "2024"},
    {"{{ now() | dateAdd(1, 'DAYS') | date('yyyy-MM-dd') }}", "2024-03-01"},
    /* time zone names cannot reach other files */
    {"{{ now(timeZone='../../../etc/passwd') }}", "!1:4: invalid time zone"},
    {"{{ now(timeZone='/etc/passwd') }}", "!1:4: invalid time zone"},
    {"{{ now(timeZone='zone.tab') }}", "!1:4: invalid time zone"},
    {"{{ now(timeZone='posixrules/..') }}", "!1:4: invalid time zone"},
    {"{{ now(timeZone='Europe') }}", "!1:4: unknown time zone 'Europe'"},
    {"{{ now(timeZone='+25:00') }}", "!1:4: invalid time zone"},
    {"{{ now(timeZone=1) }}", "!1:4: timeZone must be a zone name"},
};

int main(void)
{
    expr_cases(cases, sizeof(cases) / sizeof(cases[0]));
    return tap_done();
}
