/* once.c: --once: one reading of every GPU as JSON, for an operator at the node. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "civil.h"

#define US	1000000LL

/* Busy and util-weighted seconds of the last interval, from NVML's own samples. */
static void
window(json_t *o, const struct gpu_reading *r, int64_t since_us, int64_t now_us)
{
	int64_t busy, util;

	if (!r->have_samples) {
		json_object_set_new(o, "busy_seconds", json_null());
		json_object_set_new(o, "util_weighted_seconds", json_null());
		return;
	}
	acct_samples(r->samples, r->nsamples, since_us, since_us, now_us, &busy, &util);
	json_object_set_new(o, "samples", json_integer((json_int_t)r->nsamples));
	json_object_set_new(o, "busy_seconds", json_real((double)busy / US));
	json_object_set_new(o, "util_weighted_seconds", json_real((double)util / US));
}

static json_t *
gpu_json(const struct nvml *n, const struct gpu_reading *r, int64_t since_us, int64_t now_us)
{
	json_t *o = json_object(), *procs;

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "index", json_integer(r->index));
	if (r->rc != NVML_SUCCESS) {
		if (r->uuid[0])
			json_object_set_new(o, "uuid", json_string(r->uuid));
		json_object_set_new(o, "error", json_string(nvml_strerror(n, r->rc)));
		json_object_set_new(o, "error_kind", json_string(nvml_kind_name(nvml_kind_of(
		    r->rc))));
		json_object_set_new(o, "call", json_string(r->failed));
		return o;
	}
	json_object_set_new(o, "uuid", json_string(r->uuid));
	json_object_set_new(o, "utilization_gpu_percent", r->has_util ?
	    json_integer(r->util_gpu) : json_null());
	json_object_set_new(o, "utilization_memory_percent", r->has_util ?
	    json_integer(r->util_mem) : json_null());
	json_object_set_new(o, "memory_used_bytes", r->has_memory ?
	    json_integer((json_int_t)r->mem_used) : json_null());
	json_object_set_new(o, "memory_total_bytes", r->has_memory ?
	    json_integer((json_int_t)r->mem_total) : json_null());
	if ((procs = json_array()) != NULL && r->has_procs) {
		for (unsigned i = 0; i < r->nprocs; i++)
			json_array_append_new(procs, json_pack("{s:I, s:I}", "pid",
			    (json_int_t)r->procs[i].pid, "used_memory_bytes",
			    (json_int_t)r->procs[i].usedGpuMemory));
	}
	json_object_set_new(o, "processes", r->has_procs ? procs : (json_decref(procs),
	    json_null()));
	json_object_set_new(o, "energy_mj", r->has_energy ?
	    json_integer((json_int_t)r->energy_mj) : json_null());
	json_object_set_new(o, "power_mw", r->has_power ? json_integer(r->power_mw) :
	    json_null());
	window(o, r, since_us, now_us);
	return o;
}

int
once_run(const struct conf *c, const char *clock_file, FILE *out)
{
	char err[AGENT_ERRLEN], at[CIVIL_INSTANT_LEN];
	int64_t now_ms = agent_clock_ms(clock_file), now_us = now_ms * 1000;
	int64_t since_us = now_us - (int64_t)c->interval * US;
	struct gpu_reading r;
	struct nvml n;
	json_t *doc, *gpus;
	int status = 0;

	if (nvml_open(&n, c->nvml_library, err, sizeof(err)) < 0) {
		fprintf(stderr, "grantd-agent: %s\n", err);
		return AGENT_EX_UNAVAILABLE;
	}
	civil_format_instant(now_ms / 1000, at);
	gpus = json_array();
	doc = json_pack("{s:s, s:s, s:i, s:o}", "node", c->node, "time", at, "window_seconds",
	    c->interval, "gpus", gpus);
	if (doc == NULL) {
		nvml_close(&n);
		fprintf(stderr, "grantd-agent: out of memory\n");
		return 1;
	}
	for (unsigned i = 0; i < n.ngpus; i++) {
		if (nvml_read_gpu(&n, i, (uint64_t)since_us, &r) < 0)
			status = 1;
		json_array_append_new(gpus, gpu_json(&n, &r, since_us, now_us));
		gpu_reading_free(&r);
	}
	nvml_close(&n);
	if (json_dumpf(doc, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER) < 0)
		status = 1;
	fputc('\n', out);
	json_decref(doc);
	return status;
}
