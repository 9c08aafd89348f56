/* Checks a regular expression as Go's regexp.Compile does, for InfluxDB's
 * "error parsing regexp: ..." parse errors.
 *
 * InfluxDB 1.6.7 (built with Go 1.19) compiles every /regex/ of a query
 * while parsing it, and a bad one fails the query with Go's message:
 * "error parsing regexp: missing closing ): `a(`". This file walks the
 * pattern as Go's regexp/syntax parser (Perl flags) does and reports the
 * same error, with the same piece of the pattern, but builds nothing: the
 * executor's engine compiles the pattern again.
 *
 * What it keeps of Go's parse stack is what the errors depend on: which
 * entries are operands and which are markers ('(' and '|'), so that "a|*"
 * and "(*)" miss a repetition argument and "a)" has an unexpected
 * parenthesis; for each operand the smallest budget its nested {n,m}
 * repeats need (Go refuses more than 1000 nested copies: "(x{10}){200}");
 * and its height, for Go's limit of 1000 nested levels ("expression nests
 * too deeply"). The height follows Go's tree closely (literals merged into
 * strings, one level per capture, repeat, concatenation and alternation)
 * but not Go's factoring of alternations, so a pattern within a few levels
 * of that limit may be judged differently; Go's size limit ("expression
 * too large", beyond ~3 million instructions) is not checked.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "influxql_int.h"

#define MAX_REPEAT 1000
#define MAX_HEIGHT 1000

enum entry_kind {
    E_LPAREN = 1, /* '(' capturing */
    E_LPAREN_NC,  /* '(?:' or '(?flags:' */
    E_VBAR,       /* '|' */
    E_LIT,        /* a literal (string), mergeable */
    E_CONCAT,
    E_ALT,
    E_OTHER, /* any other operand: class, anchor, repeat, capture */
};

struct entry {
    enum entry_kind kind;
    int need;   /* smallest repeat budget the operand's nested repeats need */
    int height; /* Go's tree height of the operand */
    bool fold;  /* literal: case-insensitive */
};

struct rx {
    const char *s; /* the whole pattern */
    size_t len;
    struct entry *st;
    size_t n, cap;
    bool fold;   /* (?i) in effect */
    size_t rest; /* offset where parsing stands */
    /* the error, if any */
    const char *code;
    const char *expr;
    size_t expr_len;
};

static bool is_marker(enum entry_kind k)
{
    return k == E_LPAREN || k == E_LPAREN_NC || k == E_VBAR;
}

static int fail(struct rx *r, const char *code, const char *expr, size_t len)
{
    r->code = code;
    r->expr = expr;
    r->expr_len = len;
    return ST_EPARSE;
}

static int check_height(struct rx *r, int h)
{
    if (h > MAX_HEIGHT)
        return fail(r, "expression nests too deeply", r->s, r->len);
    return ST_OK;
}

static int push(struct rx *r, struct entry e)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 16;
        struct entry *grown = realloc(r->st, cap * sizeof *grown);
        if (grown == NULL)
            return ST_ENOMEM;
        r->st = grown;
        r->cap = cap;
    }
    r->st[r->n++] = e;
    return e.kind < E_LIT ? ST_OK : check_height(r, e.height);
}

/* Go's maybeConcat: the top two literals become one string. */
static void merge_literals(struct rx *r)
{
    if (r->n >= 2 && r->st[r->n - 1].kind == E_LIT && r->st[r->n - 2].kind == E_LIT &&
        r->st[r->n - 1].fold == r->st[r->n - 2].fold)
        r->n--;
}

static int push_literal(struct rx *r)
{
    merge_literals(r);
    struct entry e = {E_LIT, 0, 1, r->fold};
    return push(r, e);
}

static int push_other(struct rx *r)
{
    merge_literals(r);
    struct entry e = {E_OTHER, 0, 1, false};
    return push(r, e);
}

/* Go's collapse(): the operands above the topmost marker become one. */
static int collapse(struct rx *r, enum entry_kind kind)
{
    size_t i = r->n;
    while (i > 0 && !is_marker(r->st[i - 1].kind))
        i--;
    size_t nsub = r->n - i;
    if (nsub == 0) {
        struct entry e = {E_OTHER, 0, 1, false}; /* empty match, or no match */
        return push(r, e);
    }
    if (nsub == 1)
        return ST_OK;
    struct entry e = {kind, 0, 0, false};
    for (size_t k = i; k < r->n; k++) {
        const struct entry *sub = &r->st[k];
        int h = sub->kind == kind ? sub->height - 1 : sub->height; /* flattened */
        if (h > e.height)
            e.height = h;
        if (sub->need > e.need)
            e.need = sub->need;
    }
    e.height++;
    r->n = i;
    return push(r, e);
}

static int concat(struct rx *r)
{
    merge_literals(r);
    return collapse(r, E_CONCAT);
}

/* Go's swapVerticalBar: the operand on top goes below a '|' marker. */
static bool swap_vertical_bar(struct rx *r)
{
    if (r->n >= 2 && r->st[r->n - 2].kind == E_VBAR) {
        struct entry top = r->st[r->n - 1];
        r->st[r->n - 1] = r->st[r->n - 2];
        r->st[r->n - 2] = top;
        return true;
    }
    return false;
}

static int right_paren(struct rx *r)
{
    int rv = concat(r);
    if (rv != ST_OK)
        return rv;
    if (swap_vertical_bar(r))
        r->n--;
    if ((rv = collapse(r, E_ALT)) != ST_OK)
        return rv;
    if (r->n < 2 || (r->st[r->n - 2].kind != E_LPAREN && r->st[r->n - 2].kind != E_LPAREN_NC))
        return fail(r, "unexpected )", r->s, r->len);
    struct entry sub = r->st[r->n - 1];
    bool capture = r->st[r->n - 2].kind == E_LPAREN;
    r->n -= 2;
    if (!capture)
        return push(r, sub); /* just for grouping: Go pushes the operand itself */
    struct entry e = {E_OTHER, sub.need, sub.height + 1, false};
    return push(r, e);
}

/* One rune of the pattern at @off: its value and size (0 at the end). */
static size_t rune_at(const struct rx *r, size_t off, int32_t *c)
{
    if (off >= r->len) {
        *c = -1;
        return 0;
    }
    return st_iql_utf8_decode((const unsigned char *)r->s + off, r->len - off, c);
}

static bool is_alnum(int32_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int unhex(int32_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Go's parseEscape: @off is at the backslash; *@end past the escape; the
 * rune in *@out. */
static int parse_escape(struct rx *r, size_t off, size_t *end, int32_t *out)
{
    size_t t = off + 1;
    if (t >= r->len)
        return fail(r, "trailing backslash at end of expression", "", 0);
    int32_t c;
    t += rune_at(r, t, &c);
    switch (c) {
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
        if (t >= r->len || r->s[t] < '0' || r->s[t] > '7')
            break; /* a backreference: not supported */
        /* fallthrough */
    case '0': {
        int32_t v = c - '0';
        for (int i = 1; i < 3 && t < r->len && r->s[t] >= '0' && r->s[t] <= '7'; i++)
            v = v * 8 + (r->s[t++] - '0');
        *out = v;
        *end = t;
        return ST_OK;
    }
    case 'x': {
        if (t >= r->len)
            break;
        t += rune_at(r, t, &c);
        if (c == '{') {
            int nhex = 0;
            int32_t v = 0;
            for (;;) {
                if (t >= r->len)
                    goto invalid;
                t += rune_at(r, t, &c);
                if (c == '}')
                    break;
                int d = unhex(c);
                if (d < 0)
                    goto invalid;
                v = v * 16 + d;
                if (v > 0x10FFFF)
                    goto invalid;
                nhex++;
            }
            if (nhex == 0)
                goto invalid;
            *out = v;
            *end = t;
            return ST_OK;
        }
        int x = unhex(c);
        t += rune_at(r, t, &c);
        int y = unhex(c);
        if (x < 0 || y < 0)
            break;
        *out = x * 16 + y;
        *end = t;
        return ST_OK;
    }
    case 'a':
    case 'f':
    case 'n':
    case 'r':
    case 't':
    case 'v':
        *out = c;
        *end = t;
        return ST_OK;
    default:
        if (c < 0x80 && !is_alnum(c)) {
            *out = c; /* escaped punctuation is itself */
            *end = t;
            return ST_OK;
        }
        break;
    }
invalid:
    return fail(r, "invalid escape sequence", r->s + off, t - off);
}

/* The names Go 1.19's unicode package knows (Unicode 13.0): categories,
 * then scripts, each between spaces. */
static const char UNICODE_NAMES[] =
    " Any C Cc Cf Co Cs L Ll Lm Lo Lt Lu M Mc Me Mn N Nd Nl No P Pc Pd Pe Pf Pi Po Ps S Sc "
    "Sk Sm So Z Zl Zp Zs Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese "
    "Bamum Bassa_Vah Batak Bengali Bhaiksuki Bopomofo Brahmi Braille Buginese Buhid "
    "Canadian_Aboriginal Carian Caucasian_Albanian Chakma Cham Cherokee Chorasmian Common "
    "Coptic Cuneiform Cypriot Cyrillic Deseret Devanagari Dives_Akuru Dogra Duployan "
    "Egyptian_Hieroglyphs Elbasan Elymaic Ethiopic Georgian Glagolitic Gothic Grantha Greek "
    "Gujarati Gunjala_Gondi Gurmukhi Han Hangul Hanifi_Rohingya Hanunoo Hatran Hebrew "
    "Hiragana Imperial_Aramaic Inherited Inscriptional_Pahlavi Inscriptional_Parthian "
    "Javanese Kaithi Kannada Katakana Kayah_Li Kharoshthi Khitan_Small_Script Khmer Khojki "
    "Khudawadi Lao Latin Lepcha Limbu Linear_A Linear_B Lisu Lycian Lydian Mahajani Makasar "
    "Malayalam Mandaic Manichaean Marchen Masaram_Gondi Medefaidrin Meetei_Mayek "
    "Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mongolian Mro Multani "
    "Myanmar Nabataean Nandinagari New_Tai_Lue Newa Nko Nushu Nyiakeng_Puachue_Hmong Ogham "
    "Ol_Chiki Old_Hungarian Old_Italic Old_North_Arabian Old_Permic Old_Persian Old_Sogdian "
    "Old_South_Arabian Old_Turkic Oriya Osage Osmanya Pahawh_Hmong Palmyrene Pau_Cin_Hau "
    "Phags_Pa Phoenician Psalter_Pahlavi Rejang Runic Samaritan Saurashtra Sharada Shavian "
    "Siddham SignWriting Sinhala Sogdian Sora_Sompeng Soyombo Sundanese Syloti_Nagri Syriac "
    "Tagalog Tagbanwa Tai_Le Tai_Tham Tai_Viet Takri Tamil Tangut Telugu Thaana Thai Tibetan "
    "Tifinagh Tirhuta Ugaritic Vai Wancho Warang_Citi Yezidi Yi Zanabazar_Square ";

static bool unicode_name(const char *name, size_t len)
{
    if (len == 0 || memchr(name, ' ', len) != NULL)
        return false;
    for (const char *p = strchr(UNICODE_NAMES, ' '); p != NULL && p[1] != '\0';
         p = strchr(p + 1, ' '))
        if (strncmp(p + 1, name, len) == 0 && p[1 + len] == ' ')
            return true;
    return false;
}

/* Go's parseUnicodeClass: \pL, \p{Greek}, \P{^Lu}. *@hit says whether
 * @off starts one; *@end is past it. */
static int parse_unicode_class(struct rx *r, size_t off, bool *hit, size_t *end)
{
    *hit = false;
    if (off + 2 > r->len || r->s[off] != '\\' || (r->s[off + 1] != 'p' && r->s[off + 1] != 'P'))
        return ST_OK;
    *hit = true;
    size_t t = off + 2;
    int32_t c;
    t += rune_at(r, t, &c);
    const char *name;
    size_t nlen, seq_end;
    if (c != '{') {
        seq_end = t;
        name = r->s + off + 2;
        nlen = t - (off + 2);
    } else {
        const char *close = memchr(r->s + off, '}', r->len - off);
        if (close == NULL)
            return fail(r, "invalid character class range", r->s + off, r->len - off);
        seq_end = (size_t)(close - r->s) + 1;
        name = r->s + off + 3;
        nlen = (size_t)(close - name);
    }
    if (nlen > 0 && name[0] == '^') {
        name++;
        nlen--;
    }
    if (!unicode_name(name, nlen))
        return fail(r, "invalid character class range", r->s + off, seq_end - off);
    *end = seq_end;
    return ST_OK;
}

/* Go's parsePerlClassEscape: \d \D \s \S \w \W. */
static bool perl_class(const struct rx *r, size_t off)
{
    return off + 2 <= r->len && r->s[off] == '\\' && strchr("dDsSwW", r->s[off + 1]) != NULL &&
           r->s[off + 1] != '\0';
}

static const char *const POSIX_NAMES[] = {"alnum", "alpha", "ascii", "blank", "cntrl",
                                          "digit", "graph", "lower", "print", "punct",
                                          "space", "upper", "word",  "xdigit"};

/* Go's parseNamedClass at "[:": *@hit and *@end as above. */
static int parse_named_class(struct rx *r, size_t off, bool *hit, size_t *end)
{
    *hit = false;
    const char *p = r->s + off + 2, *stop = r->s + r->len;
    const char *close = NULL;
    for (const char *q = p; q + 1 < stop && close == NULL; q++)
        if (q[0] == ':' && q[1] == ']')
            close = q;
    if (close == NULL)
        return ST_OK;
    *hit = true;
    *end = (size_t)(close - r->s) + 2;
    const char *name = p;
    size_t nlen = (size_t)(close - p);
    if (nlen > 0 && name[0] == '^') {
        name++;
        nlen--;
    }
    for (size_t i = 0; i < sizeof POSIX_NAMES / sizeof POSIX_NAMES[0]; i++)
        if (strlen(POSIX_NAMES[i]) == nlen && memcmp(POSIX_NAMES[i], name, nlen) == 0)
            return ST_OK;
    return fail(r, "invalid character class range", r->s + off, *end - off);
}

/* Go's parseClassChar: one character of a class at @off. */
static int class_char(struct rx *r, size_t off, size_t whole, size_t *end, int32_t *c)
{
    if (off >= r->len)
        return fail(r, "missing closing ]", r->s + whole, r->len - whole);
    if (r->s[off] == '\\')
        return parse_escape(r, off, end, c);
    *end = off + rune_at(r, off, c);
    return ST_OK;
}

/* Go's parseClass: @off is at '['; *@end past the ']'. */
static int parse_class(struct rx *r, size_t off, size_t *end)
{
    size_t t = off + 1;
    if (t < r->len && r->s[t] == '^')
        t++;
    bool first = true;
    int rv;
    while (t >= r->len || r->s[t] != ']' || first) {
        first = false;
        bool hit;
        size_t next;
        if (t + 2 < r->len && r->s[t] == '[' && r->s[t + 1] == ':') {
            if ((rv = parse_named_class(r, t, &hit, &next)) != ST_OK)
                return rv;
            if (hit) {
                t = next;
                continue;
            }
        }
        if ((rv = parse_unicode_class(r, t, &hit, &next)) != ST_OK)
            return rv;
        if (hit) {
            t = next;
            continue;
        }
        if (perl_class(r, t)) {
            t += 2;
            continue;
        }
        size_t rng = t;
        int32_t lo, hi;
        if ((rv = class_char(r, t, off, &t, &lo)) != ST_OK)
            return rv;
        if (t + 1 < r->len && r->s[t] == '-' && r->s[t + 1] != ']') {
            if ((rv = class_char(r, t + 1, off, &t, &hi)) != ST_OK)
                return rv;
            if (hi < lo)
                return fail(r, "invalid character class range", r->s + rng, t - rng);
        }
    }
    *end = t + 1;
    return push_other(r);
}

/* Go's parsePerlFlags: @off is at "(?". */
static int parse_perl_flags(struct rx *r, size_t off, size_t *end)
{
    size_t t = off;
    if (r->len - off > 4 && r->s[off + 2] == 'P' && r->s[off + 3] == '<') {
        const char *close = memchr(r->s + off, '>', r->len - off);
        if (close == NULL)
            return fail(r, "invalid named capture", r->s + off, r->len - off);
        size_t cap_end = (size_t)(close - r->s) + 1;
        const char *name = r->s + off + 4;
        size_t nlen = (size_t)(close - name);
        bool ok = nlen > 0;
        for (size_t i = 0; ok && i < nlen; i++)
            ok = name[i] == '_' || is_alnum((unsigned char)name[i]);
        if (!ok)
            return fail(r, "invalid named capture", r->s + off, cap_end - off);
        *end = cap_end;
        struct entry e = {E_LPAREN, 0, 0, false};
        return push(r, e);
    }
    t = off + 2;
    bool fold = r->fold, saw_flag = false;
    int sign = 1;
    while (t < r->len) {
        int32_t c;
        t += rune_at(r, t, &c);
        switch (c) {
        case 'i':
            fold = sign > 0;
            saw_flag = true;
            continue;
        case 'm':
        case 's':
        case 'U':
            saw_flag = true;
            continue;
        case '-':
            if (sign < 0)
                break;
            sign = -1;
            saw_flag = false;
            continue;
        case ':':
        case ')':
            if (sign < 0 && !saw_flag)
                break;
            r->fold = fold;
            *end = t;
            if (c == ':') {
                struct entry e = {E_LPAREN_NC, 0, 0, false};
                return push(r, e);
            }
            return ST_OK;
        default:
            break;
        }
        break;
    }
    return fail(r, "invalid or unsupported Perl syntax", r->s + off, t - off);
}

/* Go's parseInt for repeat counts: digits without a leading zero; -1 when
 * too big. false: not a number. */
static bool repeat_int(const struct rx *r, size_t *t, int *n)
{
    size_t i = *t;
    if (i >= r->len || r->s[i] < '0' || r->s[i] > '9')
        return false;
    if (i + 1 < r->len && r->s[i] == '0' && r->s[i + 1] >= '0' && r->s[i + 1] <= '9')
        return false;
    *n = 0;
    for (; i < r->len && r->s[i] >= '0' && r->s[i] <= '9'; i++) {
        if (*n >= 100000000)
            *n = -1;
        else if (*n >= 0)
            *n = *n * 10 + (r->s[i] - '0');
    }
    *t = i;
    return true;
}

/* Go's parseRepeat: {n}, {n,}, {n,m} at @off; false: a literal '{'. */
static bool parse_repeat(const struct rx *r, size_t off, int *min, int *max, size_t *end)
{
    size_t t = off + 1;
    if (!repeat_int(r, &t, min) || t >= r->len)
        return false;
    if (r->s[t] != ',') {
        *max = *min;
    } else {
        t++;
        if (t >= r->len)
            return false;
        if (r->s[t] == '}') {
            *max = -1;
        } else {
            if (!repeat_int(r, &t, max))
                return false;
            if (*max < 0)
                *min = -1;
        }
    }
    if (t >= r->len || r->s[t] != '}')
        return false;
    *end = t + 1;
    return true;
}

/* Go's repeat(): @before is where the operator starts, *@after past it
 * (and past a '?' that makes it non-greedy). */
static int repeat(struct rx *r, bool counted, int min, int max, size_t before, size_t *after,
                  size_t last_repeat, bool has_last)
{
    if (*after < r->len && r->s[*after] == '?')
        (*after)++;
    if (has_last)
        return fail(r, "invalid nested repetition operator", r->s + last_repeat,
                    *after - last_repeat);
    if (r->n == 0 || is_marker(r->st[r->n - 1].kind))
        return fail(r, "missing argument to repetition operator", r->s + before, *after - before);
    struct entry *sub = &r->st[r->n - 1];
    struct entry e = {E_OTHER, sub->need, sub->height + 1, false};
    if (counted) {
        int m = max == -1 ? min : max;
        if (m > 0) {
            long need = (long)m * (sub->need > 0 ? sub->need : 1);
            e.need = need > MAX_REPEAT + 1 ? MAX_REPEAT + 1 : (int)need;
        } else {
            e.need = 0; /* zero copies: Go does not look inside */
        }
    }
    *sub = e;
    int rv = check_height(r, e.height);
    if (rv == ST_OK && counted && (min >= 2 || max >= 2) && e.need > MAX_REPEAT)
        return fail(r, "invalid repeat count", r->s + before, *after - before);
    return rv;
}

static int parse(struct rx *r)
{
    size_t t = 0, last_repeat = 0;
    bool has_last = false;
    int rv = ST_OK;
    while (rv == ST_OK && t < r->len) {
        size_t repeat_at = 0;
        bool is_repeat = false;
        char c0 = r->s[t];
        switch (c0) {
        case '(':
            if (t + 1 < r->len && r->s[t + 1] == '?') {
                rv = parse_perl_flags(r, t, &t);
            } else {
                struct entry e = {E_LPAREN, 0, 0, false};
                rv = push(r, e);
                t++;
            }
            break;
        case '|':
            if ((rv = concat(r)) == ST_OK && !swap_vertical_bar(r)) {
                struct entry e = {E_VBAR, 0, 0, false};
                rv = push(r, e);
            }
            t++;
            break;
        case ')':
            rv = right_paren(r);
            t++;
            break;
        case '^':
        case '$':
        case '.':
            rv = push_other(r);
            t++;
            break;
        case '[':
            rv = parse_class(r, t, &t);
            break;
        case '*':
        case '+':
        case '?': {
            size_t after = t + 1;
            rv = repeat(r, false, 0, 0, t, &after, last_repeat, has_last);
            repeat_at = t;
            is_repeat = true;
            t = after;
            break;
        }
        case '{': {
            int min, max;
            size_t after;
            if (!parse_repeat(r, t, &min, &max, &after)) {
                rv = push_literal(r);
                t++;
                break;
            }
            if (min < 0 || min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) {
                rv = fail(r, "invalid repeat count", r->s + t, after - t);
                break;
            }
            rv = repeat(r, true, min, max, t, &after, last_repeat, has_last);
            repeat_at = t;
            is_repeat = true;
            t = after;
            break;
        }
        case '\\': {
            if (t + 1 < r->len) {
                char c1 = r->s[t + 1];
                if (c1 == 'A' || c1 == 'b' || c1 == 'B' || c1 == 'z') {
                    rv = push_other(r);
                    t += 2;
                    break;
                }
                if (c1 == 'C') {
                    rv = fail(r, "invalid escape sequence", r->s + t, 2);
                    break;
                }
                if (c1 == 'Q') {
                    /* \Q...\E: literals */
                    size_t i = t + 2, stop = r->len, next = r->len;
                    for (size_t k = t + 2; k + 1 < r->len; k++)
                        if (r->s[k] == '\\' && r->s[k + 1] == 'E') {
                            stop = k;
                            next = k + 2;
                            break;
                        }
                    while (rv == ST_OK && i < stop) {
                        int32_t c;
                        i += rune_at(r, i, &c);
                        rv = push_literal(r);
                    }
                    t = next;
                    break;
                }
            }
            bool hit;
            size_t next;
            if ((rv = parse_unicode_class(r, t, &hit, &next)) != ST_OK)
                break;
            if (hit) {
                rv = push_other(r);
                t = next;
                break;
            }
            if (perl_class(r, t)) {
                rv = push_other(r);
                t += 2;
                break;
            }
            int32_t c;
            if ((rv = parse_escape(r, t, &t, &c)) == ST_OK)
                rv = push_literal(r);
            break;
        }
        default: {
            int32_t c;
            t += rune_at(r, t, &c);
            rv = push_literal(r);
            break;
        }
        }
        last_repeat = repeat_at;
        has_last = is_repeat;
    }
    if (rv != ST_OK)
        return rv;
    if ((rv = concat(r)) != ST_OK)
        return rv;
    if (swap_vertical_bar(r))
        r->n--;
    if ((rv = collapse(r, E_ALT)) != ST_OK)
        return rv;
    if (r->n != 1)
        return fail(r, "missing closing )", r->s, r->len);
    return ST_OK;
}

int iql_regex_check(const char *re, size_t len, struct st_buf *err)
{
    struct rx r;
    memset(&r, 0, sizeof r);
    r.s = re;
    r.len = len;
    int rv = parse(&r);
    free(r.st);
    if (rv != ST_EPARSE)
        return rv;
    rv = st_buf_printf(err, "error parsing regexp: %s: `", r.code);
    if (rv == ST_OK)
        rv = st_buf_append(err, r.expr, r.expr_len);
    if (rv == ST_OK)
        rv = st_buf_putc(err, '`');
    return rv == ST_OK ? ST_EPARSE : rv;
}
