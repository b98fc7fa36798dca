/* fakenvml.c: a scripted libnvidia-ml.so.1 for grantd-agent's tests: GPUs that play a story. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nvml_api.h"

/*
 * The story is a file named by FAKE_NVML_SCRIPT, time is the instant in the
 * file named by FAKE_NVML_CLOCK (RFC 3339, UTC, as grantd's tests write
 * it; read at every call, like the agent's --clock-file).  Lines:
 *
 *	epoch 2026-03-02T00:00:00Z	times below are seconds after this
 *	init error NAME			nvmlInit_v2 fails (LIB_RM_VERSION_MISMATCH, ...)
 *	gpu UUID [power-only] [no-samples] [wide-procs]
 *					a GPU; power-only: no energy counter;
 *					wide-procs: its process list in 32-byte
 *					entries, as some R535 drivers write it
 *	at T gpu I util U		from T on, GPU I is U % busy
 *	at T gpu I power W		from T on, it draws W watts
 *	at T gpu I proc PID MIB		a process appears with MIB of memory
 *	at T gpu I exit PID		and leaves
 *	at T gpu I error NAME		from T on, every call on GPU I fails with NAME
 *	at T gpu I ok			and answers again
 *	at T gpu I energy-reset MJ	just after T its counter starts again from MJ
 *	at T all error NAME | at T all ok	the same for NVML as a whole
 *
 * The model: second s is the time (s-1, s].  A change "at T" holds for
 * every second after T, so NVML's utilization sample at s (one a second,
 * the newest 120 kept, as a real driver keeps a bounded buffer) reads the
 * utilization of second s, and the energy counter at instant t is the sum
 * of each second's watts up to t (in mJ), from 0 at the epoch.
 */

#define MAX_GPUS	8
#define MAX_EVENTS	512
#define MAX_PROCS	32
#define SAMPLE_BUFFER	120

enum ev_kind { EV_UTIL, EV_POWER, EV_PROC, EV_EXIT, EV_ERROR, EV_OK, EV_RESET };

struct event {
	long long t;
	int gpu;		/* -1: all */
	enum ev_kind kind;
	long long a, b;
};

struct nvmlDevice_st {
	char uuid[NVML_UUID_LEN];
	int index;
	int power_only;
	int no_samples;
	int wide_procs;
};

static struct {
	int loaded;
	long long epoch;
	nvmlReturn_t init_rc;
	int ngpus;
	struct nvmlDevice_st gpu[MAX_GPUS];
	struct event ev[MAX_EVENTS];
	int nev;
} S;

static const struct {
	const char *name;
	nvmlReturn_t rc;
} codes[] = {
	{ "SUCCESS", NVML_SUCCESS },
	{ "UNINITIALIZED", NVML_ERROR_UNINITIALIZED },
	{ "INVALID_ARGUMENT", NVML_ERROR_INVALID_ARGUMENT },
	{ "NOT_SUPPORTED", NVML_ERROR_NOT_SUPPORTED },
	{ "NOT_FOUND", NVML_ERROR_NOT_FOUND },
	{ "INSUFFICIENT_SIZE", NVML_ERROR_INSUFFICIENT_SIZE },
	{ "DRIVER_NOT_LOADED", NVML_ERROR_DRIVER_NOT_LOADED },
	{ "TIMEOUT", NVML_ERROR_TIMEOUT },
	{ "GPU_IS_LOST", NVML_ERROR_GPU_IS_LOST },
	{ "RESET_REQUIRED", NVML_ERROR_RESET_REQUIRED },
	{ "LIB_RM_VERSION_MISMATCH", NVML_ERROR_LIB_RM_VERSION_MISMATCH },
	{ "NOT_READY", NVML_ERROR_NOT_READY },
	{ "UNKNOWN", NVML_ERROR_UNKNOWN },
};

static nvmlReturn_t
code_of(const char *name)
{
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (strcmp(codes[i].name, name) == 0)
			return codes[i].rc;
	return NVML_ERROR_UNKNOWN;
}

static long long
parse_instant(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (end == NULL)
		return -1;
	return (long long)timegm(&tm);
}

static long long
now(void)
{
	const char *path = getenv("FAKE_NVML_CLOCK");
	char buf[64];
	FILE *f;
	long long t = -1;

	if (path != NULL && (f = fopen(path, "r")) != NULL) {
		if (fgets(buf, sizeof(buf), f) != NULL)
			t = parse_instant(buf);
		fclose(f);
	}
	return t >= 0 ? t : (long long)time(NULL);
}

static void
add_event(long long t, int gpu, enum ev_kind kind, long long a, long long b)
{
	if (S.nev < MAX_EVENTS)
		S.ev[S.nev++] = (struct event){ S.epoch + t, gpu, kind, a, b };
}

static void
parse_at(char *rest)
{
	char what[32], name[64];
	long long t, a = 0, b = 0;
	int gpu = -1, off = 0;

	if (sscanf(rest, "%lld gpu %d %31s %n", &t, &gpu, what, &off) < 3) {
		gpu = -1;
		if (sscanf(rest, "%lld all %31s %n", &t, what, &off) < 2)
			return;
	}
	rest += off;
	if (strcmp(what, "util") == 0 && sscanf(rest, "%lld", &a) == 1)
		add_event(t, gpu, EV_UTIL, a, 0);
	else if (strcmp(what, "power") == 0 && sscanf(rest, "%lld", &a) == 1)
		add_event(t, gpu, EV_POWER, a, 0);
	else if (strcmp(what, "proc") == 0 && sscanf(rest, "%lld %lld", &a, &b) == 2)
		add_event(t, gpu, EV_PROC, a, b);
	else if (strcmp(what, "exit") == 0 && sscanf(rest, "%lld", &a) == 1)
		add_event(t, gpu, EV_EXIT, a, 0);
	else if (strcmp(what, "error") == 0 && sscanf(rest, "%63s", name) == 1)
		add_event(t, gpu, EV_ERROR, code_of(name), 0);
	else if (strcmp(what, "ok") == 0)
		add_event(t, gpu, EV_OK, 0, 0);
	else if (strcmp(what, "energy-reset") == 0)
		add_event(t, gpu, EV_RESET, sscanf(rest, "%lld", &a) == 1 ? a : 0, 0);
}

static void
load(void)
{
	const char *path = getenv("FAKE_NVML_SCRIPT");
	char line[256], a[96], b[32], c[32], d[32];
	FILE *f;

	if (S.loaded)
		return;
	memset(&S, 0, sizeof(S));
	S.loaded = 1;
	if (path == NULL || (f = fopen(path, "r")) == NULL) {
		/* No story: one idle GPU. */
		S.ngpus = 1;
		snprintf(S.gpu[0].uuid, sizeof(S.gpu[0].uuid), "GPU-fake-0");
		return;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		int n;

		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "epoch ", 6) == 0) {
			S.epoch = parse_instant(line + 6);
		} else if (strncmp(line, "init error ", 11) == 0) {
			S.init_rc = code_of(line + 11);
		} else if (strncmp(line, "gpu ", 4) == 0 && S.ngpus < MAX_GPUS) {
			struct nvmlDevice_st *g = &S.gpu[S.ngpus];

			b[0] = c[0] = d[0] = '\0';
			n = sscanf(line + 4, "%95s %31s %31s %31s", a, b, c, d);
			if (n < 1)
				continue;
			snprintf(g->uuid, sizeof(g->uuid), "%s", a);
			g->index = S.ngpus;
			g->power_only = strcmp(b, "power-only") == 0 || strcmp(c, "power-only") == 0;
			g->no_samples = strcmp(b, "no-samples") == 0 || strcmp(c, "no-samples") == 0;
			g->wide_procs = strcmp(b, "wide-procs") == 0 || strcmp(c, "wide-procs") == 0 ||
			    strcmp(d, "wide-procs") == 0;
			S.ngpus++;
		} else if (strncmp(line, "at ", 3) == 0) {
			parse_at(line + 3);
		}
	}
	fclose(f);
}

/* The value of a step function (util or power) for second s, the time (s-1, s]. */
static long long
level(int gpu, enum ev_kind kind, long long s)
{
	long long v = 0, best = -1;

	for (int i = 0; i < S.nev; i++) {
		const struct event *e = &S.ev[i];

		if (e->gpu == gpu && e->kind == kind && e->t <= s - 1 && e->t >= best) {
			best = e->t;
			v = e->a;
		}
	}
	return v;
}

/* The error a call on gpu (or on NVML, gpu -1) meets at instant t. */
static nvmlReturn_t
error_at(int gpu, long long t)
{
	nvmlReturn_t rc = NVML_SUCCESS, all = NVML_SUCCESS;
	long long best = -1, ball = -1;

	for (int i = 0; i < S.nev; i++) {
		const struct event *e = &S.ev[i];

		if ((e->kind != EV_ERROR && e->kind != EV_OK) || e->t > t)
			continue;
		if (e->gpu == -1 && e->t >= ball) {
			ball = e->t;
			all = e->kind == EV_ERROR ? (nvmlReturn_t)e->a : NVML_SUCCESS;
		} else if (gpu >= 0 && e->gpu == gpu && e->t >= best) {
			best = e->t;
			rc = e->kind == EV_ERROR ? (nvmlReturn_t)e->a : NVML_SUCCESS;
		}
	}
	return all != NVML_SUCCESS ? all : rc;
}

/* The energy counter at instant t, in mJ. */
static unsigned long long
energy_at(int gpu, long long t)
{
	long long from = S.epoch, reset = -1;
	unsigned long long e = 0;

	for (int i = 0; i < S.nev; i++) {
		const struct event *ev = &S.ev[i];

		/* A reset "just after T": the counter at T still reads the old value. */
		if (ev->gpu == gpu && ev->kind == EV_RESET && ev->t < t && ev->t > reset) {
			reset = ev->t;
			e = (unsigned long long)ev->a;
		}
	}
	if (reset >= 0)
		from = reset;
	/* Piece by piece between the power changes (seconds after T draw T's watts). */
	for (long long cur = from; cur < t;) {
		long long end = t;

		for (int i = 0; i < S.nev; i++)
			if (S.ev[i].gpu == gpu && S.ev[i].kind == EV_POWER && S.ev[i].t > cur &&
			    S.ev[i].t < end)
				end = S.ev[i].t;
		e += (unsigned long long)level(gpu, EV_POWER, cur + 1) * 1000ULL *
		    (unsigned long long)(end - cur);
		cur = end;
	}
	return e;
}

static struct nvmlDevice_st *
dev_ok(nvmlDevice_t d, nvmlReturn_t *rc)
{
	load();
	if (d == NULL || d < &S.gpu[0] || d >= &S.gpu[S.ngpus]) {
		*rc = NVML_ERROR_INVALID_ARGUMENT;
		return NULL;
	}
	*rc = error_at(d->index, now());
	return *rc == NVML_SUCCESS ? d : NULL;
}

nvmlReturn_t nvmlInit_v2(void);
nvmlReturn_t nvmlShutdown(void);
const char *nvmlErrorString(nvmlReturn_t rc);
nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *n);
nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t *d);
nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t d, char *uuid, unsigned int len);
nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t d, nvmlUtilization_t *u);
nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t *m);
nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned int *count,
    nvmlProcessInfo_t *infos);
nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t d, unsigned long long *e);
nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int *p);
nvmlReturn_t nvmlDeviceGetSamples(nvmlDevice_t d, int type, unsigned long long last_seen,
    int *vtype, unsigned int *count, nvmlSample_t *samples);

nvmlReturn_t
nvmlInit_v2(void)
{
	load();
	return S.init_rc;
}

nvmlReturn_t
nvmlShutdown(void)
{
	return NVML_SUCCESS;
}

const char *
nvmlErrorString(nvmlReturn_t rc)
{
	switch (rc) {
	case NVML_SUCCESS: return "Success";
	case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
	case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
	case NVML_ERROR_NOT_FOUND: return "Not Found";
	case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
	case NVML_ERROR_GPU_IS_LOST: return "GPU is lost";
	case NVML_ERROR_LIB_RM_VERSION_MISMATCH: return "RM has detected an NVML/RM version mismatch.";
	case NVML_ERROR_NOT_READY: return "System is not in ready state";
	default: return "Unknown Error";
	}
}

nvmlReturn_t
nvmlDeviceGetCount_v2(unsigned int *n)
{
	nvmlReturn_t rc;

	load();
	if ((rc = error_at(-1, now())) != NVML_SUCCESS)
		return rc;
	*n = (unsigned)S.ngpus;
	return NVML_SUCCESS;
}

nvmlReturn_t
nvmlDeviceGetHandleByIndex_v2(unsigned int i, nvmlDevice_t *d)
{
	nvmlReturn_t rc;

	load();
	if (i >= (unsigned)S.ngpus)
		return NVML_ERROR_INVALID_ARGUMENT;
	if ((rc = error_at((int)i, now())) != NVML_SUCCESS)
		return rc;
	*d = &S.gpu[i];
	return NVML_SUCCESS;
}

nvmlReturn_t
nvmlDeviceGetUUID(nvmlDevice_t d, char *uuid, unsigned int len)
{
	nvmlReturn_t rc;

	if (dev_ok(d, &rc) == NULL)
		return rc;
	if (strlen(d->uuid) >= len)
		return NVML_ERROR_INSUFFICIENT_SIZE;
	memcpy(uuid, d->uuid, strlen(d->uuid) + 1);
	return NVML_SUCCESS;
}

nvmlReturn_t
nvmlDeviceGetUtilizationRates(nvmlDevice_t d, nvmlUtilization_t *u)
{
	nvmlReturn_t rc;

	if (dev_ok(d, &rc) == NULL)
		return rc;
	u->gpu = (unsigned)level(d->index, EV_UTIL, now());
	u->memory = u->gpu / 2;
	return NVML_SUCCESS;
}

/* The processes present at t, in the order they came. */
static int
procs_at(int gpu, long long t, nvmlProcessInfo_t *out, int max)
{
	int n = 0;

	for (int i = 0; i < S.nev; i++) {
		const struct event *e = &S.ev[i];

		if (e->gpu != gpu || e->t > t)
			continue;
		if (e->kind == EV_PROC && n < max) {
			out[n].pid = (unsigned)e->a;
			out[n].usedGpuMemory = (unsigned long long)e->b << 20;
			out[n].gpuInstanceId = 0xFFFFFFFFu;
			out[n].computeInstanceId = 0xFFFFFFFFu;
			n++;
		} else if (e->kind == EV_EXIT) {
			for (int k = 0; k < n; k++) {
				if (out[k].pid == (unsigned)e->a) {
					memmove(&out[k], &out[k + 1], sizeof(out[0]) *
					    (size_t)(n - k - 1));
					n--;
					break;
				}
			}
		}
	}
	return n;
}

nvmlReturn_t
nvmlDeviceGetMemoryInfo(nvmlDevice_t d, nvmlMemory_t *m)
{
	nvmlProcessInfo_t p[MAX_PROCS];
	nvmlReturn_t rc;
	int n;

	if (dev_ok(d, &rc) == NULL)
		return rc;
	n = procs_at(d->index, now(), p, MAX_PROCS);
	m->total = 80ULL << 30;
	m->used = 0;
	for (int i = 0; i < n; i++)
		m->used += p[i].usedGpuMemory;
	m->free = m->total - m->used;
	return NVML_SUCCESS;
}

nvmlReturn_t
nvmlDeviceGetComputeRunningProcesses_v3(nvmlDevice_t d, unsigned int *count,
    nvmlProcessInfo_t *infos)
{
	nvmlProcessInfo_t p[MAX_PROCS];
	nvmlReturn_t rc;
	int n;

	if (dev_ok(d, &rc) == NULL)
		return rc;
	n = procs_at(d->index, now(), p, MAX_PROCS);
	/* As the driver does: the count, and INSUFFICIENT_SIZE when it does not fit. */
	if (infos == NULL || *count < (unsigned)n) {
		*count = (unsigned)n;
		return n == 0 ? NVML_SUCCESS : NVML_ERROR_INSUFFICIENT_SIZE;
	}
	if (d->wide_procs) {
		nvmlProcessInfoWide_t *w = (nvmlProcessInfoWide_t *)(void *)infos;

		for (int i = 0; i < n; i++)
			w[i] = (nvmlProcessInfoWide_t){ .pid = p[i].pid,
			    .usedGpuMemory = p[i].usedGpuMemory,
			    .gpuInstanceId = p[i].gpuInstanceId,
			    .computeInstanceId = p[i].computeInstanceId };
	} else {
		memcpy(infos, p, sizeof(p[0]) * (size_t)n);
	}
	*count = (unsigned)n;
	return NVML_SUCCESS;
}

nvmlReturn_t
nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t d, unsigned long long *e)
{
	nvmlReturn_t rc;

	if (dev_ok(d, &rc) == NULL)
		return rc;
	if (d->power_only)
		return NVML_ERROR_NOT_SUPPORTED;
	*e = energy_at(d->index, now());
	return NVML_SUCCESS;
}

nvmlReturn_t
nvmlDeviceGetPowerUsage(nvmlDevice_t d, unsigned int *p)
{
	nvmlReturn_t rc;

	if (dev_ok(d, &rc) == NULL)
		return rc;
	*p = (unsigned)(level(d->index, EV_POWER, now() + 1) * 1000);
	return NVML_SUCCESS;
}

nvmlReturn_t
nvmlDeviceGetSamples(nvmlDevice_t d, int type, unsigned long long last_seen, int *vtype,
    unsigned int *count, nvmlSample_t *samples)
{
	long long t = now(), first;
	nvmlReturn_t rc;
	unsigned n = 0;

	if (dev_ok(d, &rc) == NULL)
		return rc;
	if (type != NVML_GPU_UTILIZATION_SAMPLES || d->no_samples)
		return NVML_ERROR_NOT_SUPPORTED;
	*vtype = NVML_VALUE_TYPE_UNSIGNED_INT;
	if (samples == NULL) {
		*count = SAMPLE_BUFFER;
		return NVML_SUCCESS;
	}
	first = (long long)(last_seen / 1000000ULL) + 1;
	if (first < t - SAMPLE_BUFFER + 1)
		first = t - SAMPLE_BUFFER + 1;
	if (first <= S.epoch)
		first = S.epoch + 1;
	for (long long s = first; s <= t && n < *count; s++) {
		samples[n].timeStamp = (unsigned long long)s * 1000000ULL;
		samples[n].sampleValue.uiVal = (unsigned)level(d->index, EV_UTIL, s);
		n++;
	}
	*count = n;
	return n == 0 ? NVML_ERROR_NOT_FOUND : NVML_SUCCESS;
}
