/* Service-account tokens: format, randomness, hashing against an independent
 * SHA-256 (sha256sum), syntax refusals and constant-time comparison. */
#include <stdlib.h>

#include "auth/satoken.h"
#include "tests/tap.h"

/* bytes 0..31 encoded with Python's base64.urlsafe_b64encode; hash by sha256sum. */
static const char known[] = "weft_sa_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
static const char known_hash[] =
    "\\x809ccaf331cbf3ef40149e8aa295e55e9a2f874321bf7865831e230144dfc68c";

int main(void)
{
    char a[WF_SATOKEN_LEN + 1], b[WF_SATOKEN_LEN + 1];
    uint8_t ha[WF_SATOKEN_HASH_LEN], hb[WF_SATOKEN_HASH_LEN];
    char hex[67];

    is_int(wf_satoken_generate(a), 0, "generate succeeds");
    is_int(strlen(a), WF_SATOKEN_LEN, "token has the fixed length");
    ok(strncmp(a, "weft_sa_", 8) == 0, "token carries the weft_sa_ prefix");
    ok(wf_satoken_syntax_ok(a, strlen(a)), "generated token passes the syntax check");
    is_int(wf_satoken_generate(b), 0, "second generate succeeds");
    ok(strcmp(a, b) != 0, "two tokens differ");

    /* Every generated token is canonical: 200 draws all pass the check. */
    int all_ok = 1;
    for (int i = 0; i < 200; i++) {
        char t[WF_SATOKEN_LEN + 1];
        all_ok &= wf_satoken_generate(t) == 0 && wf_satoken_syntax_ok(t, strlen(t));
    }
    ok(all_ok, "200 generated tokens are all syntactically valid");

    is_int(wf_satoken_hash(known, strlen(known), ha), 0, "hash of a known token");
    wf_satoken_hash_to_bytea_hex(ha, hex);
    is_str(hex, known_hash, "SHA-256 matches sha256sum, bytea hex form");
    is_int(wf_satoken_hash(a, strlen(a), ha), 0, "hash token a");
    is_int(wf_satoken_hash(a, strlen(a), hb), 0, "hash token a again");
    ok(wf_satoken_hash_equal(ha, hb), "same token, equal hashes");
    is_int(wf_satoken_hash(b, strlen(b), hb), 0, "hash token b");
    ok(!wf_satoken_hash_equal(ha, hb), "different tokens, different hashes");
    hb[0] = ha[0] ^ 1;
    memcpy(hb + 1, ha + 1, WF_SATOKEN_HASH_LEN - 1);
    ok(!wf_satoken_hash_equal(ha, hb), "one flipped bit is unequal");
    memcpy(hb, ha, WF_SATOKEN_HASH_LEN - 1);
    hb[WF_SATOKEN_HASH_LEN - 1] = ha[WF_SATOKEN_HASH_LEN - 1] ^ 0x80;
    ok(!wf_satoken_hash_equal(ha, hb), "last byte differing is unequal");

    /* Junk refused before any lookup. */
    struct {
        const char *tok;
        const char *why;
    } junk[] = {
        {"", "empty"},
        {"weft_sa_", "prefix only"},
        {"weft_sa_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh", "one char short"},
        {"weft_sa_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A", "one char long"},
        {"weft_sb_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", "wrong prefix"},
        {"WEFT_SA_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8", "prefix case"},
        {"weft_sa_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+", "base64 '+' not base64url"},
        {"weft_sa_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh=", "padding"},
        {"weft_sa_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwd'--", "SQL quote"},
        {"weft_sa_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9", "non-canonical last char"},
        {"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlAAAAAAAAAA", "a JWT"},
    };
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        ok(!wf_satoken_syntax_ok(junk[i].tok, strlen(junk[i].tok)), "syntax refuses: %s",
           junk[i].why);
        is_int(wf_satoken_hash(junk[i].tok, strlen(junk[i].tok), ha), -1, "hash refuses: %s",
               junk[i].why);
    }
    char nul[WF_SATOKEN_LEN + 1];
    memcpy(nul, known, sizeof(nul));
    nul[20] = '\0';
    ok(!wf_satoken_syntax_ok(nul, WF_SATOKEN_LEN), "embedded NUL refused");
    ok(!wf_satoken_syntax_ok(NULL, WF_SATOKEN_LEN), "NULL refused");
    return tap_done();
}
