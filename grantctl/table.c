/* table.c: aligned text tables that measure UTF-8 by terminal columns. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grantctl.h"

#define MAX_COLS 16

/*
 * A table owns copies of every title and cell.  Cells are cleaned when
 * added: a control character from the server becomes '?', so that no reply
 * can move the cursor or recolour the operator's terminal.
 */
struct table {
	bool header;
	size_t ncols;
	char *title[MAX_COLS];
	enum align align[MAX_COLS];
	size_t nrows, cap;
	char **cells;		/* nrows * ncols, row-major; NULL: empty */
	size_t cur;		/* next cell of the last row */
};

static void *
xalloc(void *p, size_t n)
{
	void *q = realloc(p, n);

	if (q == NULL) {
		fprintf(stderr, "grantctl: out of memory\n");
		exit(EXIT_OTHER);
	}
	return q;
}

static char *
clean_dup(const char *s)
{
	size_t n = strlen(s);
	char *d = xalloc(NULL, n + 1);

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		/* C0 controls and DEL; C1 controls are U+0080..U+009F, 0xC2 0x80..0x9F. */
		if (ch < 0x20 || ch == 0x7f) {
			d[i] = '?';
		} else if (ch == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
		    (unsigned char)s[i + 1] <= 0x9f) {
			d[i] = '?';
			d[++i] = '?';
		} else {
			d[i] = (char)ch;
		}
	}
	d[n] = '\0';
	return d;
}

struct table *
table_new(bool header)
{
	struct table *t = xalloc(NULL, sizeof(*t));

	memset(t, 0, sizeof(*t));
	t->header = header;
	return t;
}

void
table_col(struct table *t, const char *title, enum align a)
{
	if (t->ncols == MAX_COLS || t->nrows > 0)
		return;
	t->title[t->ncols] = clean_dup(title);
	t->align[t->ncols] = a;
	t->ncols++;
}

void
table_row(struct table *t)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 16;
		t->cells = xalloc(t->cells, t->cap * t->ncols * sizeof(char *));
	}
	memset(t->cells + t->nrows * t->ncols, 0, t->ncols * sizeof(char *));
	t->nrows++;
	t->cur = 0;
}

void
table_cell(struct table *t, const char *text)
{
	if (t->nrows == 0 || t->cur >= t->ncols)
		return;
	t->cells[(t->nrows - 1) * t->ncols + t->cur++] = clean_dup(text ? text : "");
}

void
table_cellf(struct table *t, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	table_cell(t, buf);
}

/* Decodes one UTF-8 sequence at s; returns its length (1 for a bad byte). */
static size_t
utf8_next(const unsigned char *s, unsigned long *cp)
{
	size_t n;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		*cp = s[0] & 0x1f;
		n = 2;
	} else if ((s[0] & 0xf0) == 0xe0) {
		*cp = s[0] & 0x0f;
		n = 3;
	} else if ((s[0] & 0xf8) == 0xf0) {
		*cp = s[0] & 0x07;
		n = 4;
	} else {
		*cp = 0xfffd;
		return 1;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = 0xfffd;
			return 1;
		}
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	return n;
}

/*
 * Columns of one code point: 0 for combining marks and joiners, 2 for the
 * East Asian Wide and Fullwidth blocks (Hangul, CJK, fullwidth forms), 1
 * otherwise.  A short table of ranges rather than wcwidth(): the answer
 * must not depend on the caller's locale, and team and site names here are
 * Korean as often as not.
 */
static int
cp_width(unsigned long cp)
{
	static const unsigned long wide[][2] = {
		{ 0x1100, 0x115f }, { 0x2e80, 0x303e }, { 0x3041, 0x33ff },
		{ 0x3400, 0x4dbf }, { 0x4e00, 0x9fff }, { 0xa000, 0xa4cf },
		{ 0xa960, 0xa97f }, { 0xac00, 0xd7a3 }, { 0xf900, 0xfaff },
		{ 0xfe30, 0xfe4f }, { 0xff00, 0xff60 }, { 0xffe0, 0xffe6 },
		{ 0x1f300, 0x1f64f }, { 0x1f900, 0x1f9ff }, { 0x20000, 0x3fffd },
	};

	if ((cp >= 0x0300 && cp <= 0x036f) || (cp >= 0x200b && cp <= 0x200f) ||
	    (cp >= 0xfe00 && cp <= 0xfe0f))
		return 0;
	for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (cp >= wide[i][0] && cp <= wide[i][1])
			return 2;
	return 1;
}

size_t
text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	size_t w = 0;

	while (*p) {
		p += utf8_next(p, &cp);
		w += (size_t)cp_width(cp);
	}
	return w;
}

static void
pad(FILE *f, size_t n)
{
	while (n-- > 0)
		fputc(' ', f);
}

/* Two spaces between columns; the last column is not padded on the right. */
static void
print_line(const struct table *t, char *const *cells, const size_t *width, FILE *f)
{
	for (size_t i = 0; i < t->ncols; i++) {
		const char *s = cells[i] ? cells[i] : "";
		size_t w = text_width(s);

		if (i > 0)
			fputs("  ", f);
		if (t->align[i] == AL_RIGHT)
			pad(f, width[i] - w);
		fputs(s, f);
		if (t->align[i] == AL_LEFT && i + 1 < t->ncols)
			pad(f, width[i] - w);
	}
	fputc('\n', f);
}

void
table_print(const struct table *t, FILE *f)
{
	size_t width[MAX_COLS] = { 0 };

	for (size_t i = 0; i < t->ncols; i++) {
		if (t->header)
			width[i] = text_width(t->title[i]);
		for (size_t r = 0; r < t->nrows; r++) {
			const char *s = t->cells[r * t->ncols + i];
			size_t w = s ? text_width(s) : 0;

			if (w > width[i])
				width[i] = w;
		}
	}
	if (t->header)
		print_line(t, t->title, width, f);
	for (size_t r = 0; r < t->nrows; r++)
		print_line(t, t->cells + r * t->ncols, width, f);
}

void
table_free(struct table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->ncols; i++)
		free(t->title[i]);
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t);
}
