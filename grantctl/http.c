/* http.c: grantctl's requests over libcurl, problem details, exit statuses. */
#include <curl/curl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "grantctl.h"

/* A reply body larger than this is refused: no grantd reply comes near it. */
#define MAX_REPLY_BYTES (256u * 1024 * 1024)

int
http_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
http_cleanup(void)
{
	curl_global_cleanup();
}

static void *
xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL) {
		fprintf(stderr, "grantctl: out of memory\n");
		exit(EXIT_OTHER);
	}
	return q;
}

/* Unreserved characters (RFC 3986) stay; everything else is %XX. */
static void
encode(char **dst, size_t *len, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = strlen(s);

	*dst = xrealloc(*dst, *len + 3 * n + 1);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~') {
			(*dst)[(*len)++] = (char)ch;
		} else {
			(*dst)[(*len)++] = '%';
			(*dst)[(*len)++] = hex[ch >> 4];
			(*dst)[(*len)++] = hex[ch & 15];
		}
	}
	(*dst)[*len] = '\0';
}

char *
path_fmt(const char *fmt, ...)
{
	char *p = xrealloc(NULL, 1);
	size_t len = 0;
	va_list ap;

	p[0] = '\0';
	va_start(ap, fmt);
	for (const char *f = fmt; *f; f++) {
		if (f[0] == '%' && f[1] == 's') {
			encode(&p, &len, va_arg(ap, const char *));
			f++;
			continue;
		}
		p = xrealloc(p, len + 2);
		p[len++] = *f;
		p[len] = '\0';
	}
	va_end(ap);
	return p;
}

void
path_query(char **path, const char *key, const char *value)
{
	size_t len;

	if (value == NULL)
		return;
	len = strlen(*path);
	*path = xrealloc(*path, len + strlen(key) + 3);
	(*path)[len++] = strchr(*path, '?') ? '&' : '?';
	strcpy(*path + len, key);
	len += strlen(key);
	(*path)[len++] = '=';
	(*path)[len] = '\0';
	encode(path, &len, value);
}

static size_t
on_body(char *p, size_t sz, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t add = sz * n;

	if (add > MAX_REPLY_BYTES - r->len)
		return 0;
	r->body = xrealloc(r->body, r->len + add + 1);
	memcpy(r->body + r->len, p, add);
	r->len += add;
	r->body[r->len] = '\0';
	return add;
}

/* Copies a header's value, without CR/LF, when the line starts with name. */
static void
header_value(const char *line, size_t len, const char *name, char *dst, size_t n)
{
	size_t nl = strlen(name), vl;

	if (len <= nl || strncasecmp(line, name, nl) != 0)
		return;
	line += nl;
	len -= nl;
	while (len > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		len--;
	}
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' ||
	    line[len - 1] == ' '))
		len--;
	vl = len < n - 1 ? len : n - 1;
	memcpy(dst, line, vl);
	dst[vl] = '\0';
}

static size_t
on_header(char *p, size_t sz, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = sz * n;
	char v[16] = "";

	header_value(p, len, "Idempotent-Replayed:", v, sizeof(v));
	if (strcasecmp(v, "true") == 0)
		r->replayed = true;
	header_value(p, len, "X-Request-Id:", r->request_id, sizeof(r->request_id));
	header_value(p, len, "Content-Type:", r->content_type, sizeof(r->content_type));
	return len;
}

int
exit_for_status(long status)
{
	if (status >= 200 && status < 300)
		return 0;
	if (status == 401 || status == 403)
		return EXIT_AUTH;
	if (status == 404)
		return EXIT_NOTFOUND;
	if (status == 409 || status == 422)
		return EXIT_CONFLICT;
	if (status >= 500)
		return EXIT_SERVER;
	return EXIT_OTHER;
}

/* Server text goes to a terminal: control characters become '?'. */
static void
put_clean(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		fputc(ch < 0x20 || ch == 0x7f ? '?' : ch, f);
	}
}

static void
print_problem(struct ctl *c, const struct reply *r)
{
	const char *code = jstr(r->json, "code"), *detail = jstr(r->json, "detail");
	const json_t *v, *viol = json_object_get(r->json, "violations");
	size_t i;

	fprintf(stderr, "grantctl: %ld ", r->status);
	if (*code) {
		put_clean(stderr, code);
		fputs(": ", stderr);
		put_clean(stderr, *detail ? detail : jstr(r->json, "title"));
	} else {
		/* Not a problem document (a proxy's page?): its first line. */
		char line[200];

		snprintf(line, sizeof(line), "%s", r->body ? r->body : "");
		line[strcspn(line, "\r\n")] = '\0';
		put_clean(stderr, *line ? line : "(no body)");
	}
	fputc('\n', stderr);
	json_array_foreach(viol, i, v) {
		fputs("  ", stderr);
		put_clean(stderr, jstr(v, "rule"));
		fputs(": ", stderr);
		put_clean(stderr, jstr(v, "detail"));
		fputc('\n', stderr);
	}
	if (json_is_string(json_object_get(r->json, "earliest_start"))) {
		char buf[64];

		fprintf(stderr, "  earliest start: %s\n",
		    fmt_instant(c, jstr(r->json, "earliest_start"), false, buf, sizeof(buf)));
	}
	/* Why placement could not start earlier, pool by pool. */
	json_array_foreach(json_object_get(r->json, "delays"), i, v) {
		char line[300];

		fprintf(stderr, "  ");
		put_clean(stderr, fmt_delay(c, v, line, sizeof(line)));
		fputc('\n', stderr);
	}
	if (r->status == 401 && c->token == NULL)
		fprintf(stderr, "grantctl: no token: give --token, set GRANTD_TOKEN or put "
		    "token= in ~/.config/grantctl/config\n");
	if (r->request_id[0])
		fprintf(stderr, "  request id: %s\n", r->request_id);
}

/* An Idempotency-Key for one change: 128 random bits, so retries of it alone match. */
static void
new_idem_key(char out[40])
{
	unsigned char rnd[16];

	randombytes_buf(rnd, sizeof(rnd));
	memcpy(out, "gc-", 3);
	sodium_bin2hex(out + 3, 33, rnd, sizeof(rnd));
}

/*
 * What to do when the connection failed for want of trust: the usual
 * mistake with an agency server is a missing or wrong --cacert.
 */
static void
connect_hint(const struct ctl *c, CURLcode rc)
{
	if (rc == CURLE_PEER_FAILED_VERIFICATION && c->cacert == NULL)
		fprintf(stderr, "grantctl: no CA this system trusts signed the server's "
		    "certificate: give the agency CA's certificate with --cacert FILE (or "
		    "GRANTD_CACERT, or cacert = in the configuration file)\n");
	else if (rc == CURLE_PEER_FAILED_VERIFICATION)
		fprintf(stderr, "grantctl: the server's certificate does not verify against %s "
		    "(from %s): is that the CA that signed it, and does the certificate name the "
		    "host of %s?\n", c->cacert, c->cacert_from, c->url);
	else if (rc == CURLE_SSL_CACERT_BADFILE)
		fprintf(stderr, "grantctl: cannot use %s (from %s): it must be a readable PEM "
		    "file of CA certificates\n", c->cacert, c->cacert_from);
	else if (rc == CURLE_GOT_NOTHING && strncmp(c->url, "http://", 7) == 0)
		fprintf(stderr, "grantctl: nothing came back: if the server speaks HTTPS "
		    "([tls] in grantd.conf), use an https:// URL\n");
}

static int
exchange(struct ctl *c, const char *method, const char *path, const json_t *body,
    struct reply *r, bool quiet)
{
	struct curl_slist *hl = NULL;
	char *url, *text = NULL, auth[600], idem[320], key[40];
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *h;
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	if ((h = curl_easy_init()) == NULL) {
		fprintf(stderr, "grantctl: libcurl failed to initialise\n");
		return EXIT_OTHER;
	}
	url = xrealloc(NULL, strlen(c->url) + strlen(path) + 1);
	strcpy(url, c->url);
	strcat(url, path);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->timeout_s < 10 ? c->timeout_s : 10L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, c->timeout_s);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "grantctl/" GRANTCTL_VERSION);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	/*
	 * The server's certificate is always verified, its name included, and
	 * TLS older than 1.2 never spoken.  --cacert replaces the system's CAs:
	 * the agency CA alone then vouches for the server.
	 */
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	if (c->cacert)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
	hl = curl_slist_append(hl, "Accept: application/json, application/problem+json, text/csv");
	if (c->token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
		hl = curl_slist_append(hl, auth);
		sodium_memzero(auth, sizeof(auth));
	}
	if (strcmp(method, "GET") != 0) {
		if (c->idem_key == NULL)
			new_idem_key(key);
		snprintf(idem, sizeof(idem), "Idempotency-Key: %s", c->idem_key ? c->idem_key : key);
		hl = curl_slist_append(hl, idem);
	}
	if (body) {
		text = json_dumps(body, JSON_COMPACT | JSON_ENSURE_ASCII);
		if (text == NULL) {
			fprintf(stderr, "grantctl: out of memory\n");
			exit(EXIT_OTHER);
		}
		hl = curl_slist_append(hl, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, text);
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(text));
	} else if (strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0) {
		hl = curl_slist_append(hl, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "{}");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 2L);
	}
	/* No "Expect: 100-continue" round trip for small bodies. */
	hl = curl_slist_append(hl, "Expect:");
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->status);
	curl_slist_free_all(hl);
	curl_easy_cleanup(h);
	free(text);
	if (rc != CURLE_OK) {
		if (!quiet) {
			fprintf(stderr, "grantctl: cannot reach %s: %s\n", c->url,
			    errbuf[0] ? errbuf : curl_easy_strerror(rc));
			connect_hint(c, rc);
		}
		free(url);
		return EXIT_SERVER;
	}
	free(url);
	if (r->body == NULL) {
		r->body = xrealloc(NULL, 1);
		r->body[0] = '\0';
	}
	if (r->len > 0)
		r->json = json_loadb(r->body, r->len, JSON_DECODE_ANY, NULL);
	if (r->status >= 200 && r->status < 300) {
		if (r->replayed && !quiet && !c->json)
			fprintf(stderr, "grantctl: replayed: the server answered this "
			    "Idempotency-Key before; nothing was applied again\n");
		return 0;
	}
	if (!quiet) {
		print_problem(c, r);
		/* Scripts using --json get the problem document on stdout as well. */
		if (c->json && r->json)
			print_raw(c, r);
	}
	return exit_for_status(r->status);
}

int
api(struct ctl *c, const char *method, const char *path, const json_t *body,
    struct reply *r)
{
	return exchange(c, method, path, body, r, false);
}

int
api_quiet(struct ctl *c, const char *method, const char *path, struct reply *r)
{
	return exchange(c, method, path, NULL, r, true);
}

void
reply_free(struct reply *r)
{
	free(r->body);
	json_decref(r->json);
	memset(r, 0, sizeof(*r));
}

void
print_raw(struct ctl *c, const struct reply *r)
{
	if (r->len == 0)
		return;
	fwrite(r->body, 1, r->len, c->out);
	if (r->body[r->len - 1] != '\n')
		fputc('\n', c->out);
}
