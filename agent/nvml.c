/* nvml.c: libnvidia-ml loaded at run time, and one reading of one GPU. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

#define RESOLVE(n, field, sym)							\
	do {									\
		*(void **)(&(n)->field) = dlsym((n)->dl, sym);			\
		if ((n)->field == NULL) {					\
			snprintf(err, errlen, "%s has no %s: the NVIDIA driver is " \
			    "older than grantd-agent supports (R520 or later)", path, sym); \
			goto bad;						\
		}								\
	} while (0)

int
nvml_open(struct nvml *n, const char *path, char *err, size_t errlen)
{
	nvmlReturn_t rc;

	memset(n, 0, sizeof(*n));
	if ((n->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		const char *why = dlerror();

		snprintf(err, errlen, "cannot load NVML (%s): %s; is the NVIDIA driver installed "
		    "on this node?", path, why ? why : "unknown error");
		return -1;
	}
	RESOLVE(n, error_string, "nvmlErrorString");
	RESOLVE(n, init, "nvmlInit_v2");
	RESOLVE(n, shutdown, "nvmlShutdown");
	RESOLVE(n, count, "nvmlDeviceGetCount_v2");
	RESOLVE(n, handle, "nvmlDeviceGetHandleByIndex_v2");
	RESOLVE(n, uuid, "nvmlDeviceGetUUID");
	RESOLVE(n, util, "nvmlDeviceGetUtilizationRates");
	RESOLVE(n, memory, "nvmlDeviceGetMemoryInfo");
	RESOLVE(n, procs, "nvmlDeviceGetComputeRunningProcesses_v3");
	RESOLVE(n, energy, "nvmlDeviceGetTotalEnergyConsumption");
	RESOLVE(n, power, "nvmlDeviceGetPowerUsage");
	RESOLVE(n, samples, "nvmlDeviceGetSamples");
	if ((rc = n->init()) != NVML_SUCCESS) {
		snprintf(err, errlen, "NVML did not start: %s%s", nvml_strerror(n, rc),
		    rc == NVML_ERROR_LIB_RM_VERSION_MISMATCH ? " (the driver was upgraded "
		    "without a reboot, or the library and the kernel module differ)" :
		    rc == NVML_ERROR_DRIVER_NOT_LOADED ? " (is the nvidia kernel module "
		    "loaded?)" : "");
		goto bad;
	}
	n->initialised = true;
	if ((rc = n->count(&n->ngpus)) != NVML_SUCCESS) {
		snprintf(err, errlen, "NVML cannot count the GPUs: %s", nvml_strerror(n, rc));
		goto bad;
	}
	if (n->ngpus == 0) {
		snprintf(err, errlen, "NVML sees no GPU on this node");
		goto bad;
	}
	if (n->ngpus > NVML_MAX_GPUS) {
		snprintf(err, errlen, "NVML sees %u GPUs; grantd-agent reads at most %d",
		    n->ngpus, NVML_MAX_GPUS);
		goto bad;
	}
	return 0;
bad:
	nvml_close(n);
	return -1;
}

void
nvml_close(struct nvml *n)
{
	if (n == NULL || n->dl == NULL)
		return;
	if (n->initialised)
		n->shutdown();
	dlclose(n->dl);
	memset(n, 0, sizeof(*n));
}

const char *
nvml_strerror(const struct nvml *n, nvmlReturn_t rc)
{
	const char *s = n->error_string ? n->error_string(rc) : NULL;

	return s ? s : "unknown NVML error";
}

enum nvml_kind
nvml_kind_of(nvmlReturn_t rc)
{
	switch (rc) {
	case NVML_ERROR_GPU_IS_LOST:
		return NK_GPU_LOST;
	case NVML_ERROR_UNINITIALIZED:
	case NVML_ERROR_NOT_READY:
	case NVML_ERROR_DRIVER_NOT_LOADED:
	case NVML_ERROR_LIB_RM_VERSION_MISMATCH:
		return NK_NOT_READY;
	case NVML_ERROR_NOT_SUPPORTED:
		return NK_NOT_SUPPORTED;
	case NVML_ERROR_RESET_REQUIRED:
		return NK_RESET_REQUIRED;
	case NVML_ERROR_TIMEOUT:
		return NK_TIMEOUT;
	default:
		return NK_OTHER;
	}
}

const char *
nvml_kind_name(enum nvml_kind k)
{
	static const char *const names[NK_COUNT] = {
		[NK_GPU_LOST] = "gpu_lost",
		[NK_NOT_READY] = "not_ready",
		[NK_NOT_SUPPORTED] = "not_supported",
		[NK_RESET_REQUIRED] = "reset_required",
		[NK_TIMEOUT] = "timeout",
		[NK_OTHER] = "other",
	};

	return (unsigned)k < NK_COUNT ? names[k] : "other";
}

void
gpu_reading_free(struct gpu_reading *r)
{
	if (r == NULL)
		return;
	free(r->samples);
	free(r->procs);
	r->samples = NULL;
	r->procs = NULL;
}

static int
stop(struct gpu_reading *r, const char *call, nvmlReturn_t rc)
{
	r->rc = rc;
	r->failed = call;
	return -1;
}

/*
 * Whether n entries read at the stride of an entry of type T all name a
 * process: pid 0 is none, and is what a 24-byte reading of a 32-byte list
 * finds at the second entry (the low half of usedGpuCcProtectedMemory).
 */
#define PIDS_AT(buf, T, n, ok) do {						\
	const T *e_ = (const T *)(const void *)(buf);				\
	(ok) = true;								\
	for (unsigned i_ = 0; i_ < (n); i_++)					\
		(ok) = (ok) && e_[i_].pid != 0;					\
} while (0)

/*
 * The running compute processes: a sizing call first, then the list (it
 * may grow between).  The buffer has room for the wide entries some R535
 * drivers write, so such a driver cannot write past it, and the entries
 * are read at the stride the driver used: the header's, unless only the
 * wide one gives every entry a process.
 */
static nvmlReturn_t
read_procs(struct nvml *n, nvmlDevice_t dev, struct gpu_reading *r)
{
	unsigned cnt = 0, want = 0;
	nvmlProcessInfoWide_t *raw = NULL;
	bool narrow_ok, wide_ok;
	nvmlReturn_t rc;

	rc = n->procs(dev, &cnt, NULL);
	if (rc == NVML_SUCCESS) {
		r->nprocs = 0;
		return NVML_SUCCESS;
	}
	for (int tries = 0; tries < 3 && rc == NVML_ERROR_INSUFFICIENT_SIZE; tries++) {
		if (cnt > NVML_MAX_PROCS)
			cnt = NVML_MAX_PROCS;
		want = cnt + 8;		/* room for processes that start meanwhile */
		free(raw);
		free(r->procs);
		r->procs = NULL;
		if ((raw = calloc(want, sizeof(*raw))) == NULL ||
		    (r->procs = calloc(want, sizeof(*r->procs))) == NULL) {
			free(raw);
			return NVML_ERROR_MEMORY;
		}
		cnt = want;
		rc = n->procs(dev, &cnt, (nvmlProcessInfo_t *)(void *)raw);
	}
	if (rc == NVML_SUCCESS) {
		r->nprocs = cnt <= want ? cnt : want;
		PIDS_AT(raw, nvmlProcessInfo_t, r->nprocs, narrow_ok);
		PIDS_AT(raw, nvmlProcessInfoWide_t, r->nprocs, wide_ok);
		r->wide_procs = !narrow_ok && wide_ok;
		for (unsigned i = 0; i < r->nprocs; i++) {
			if (r->wide_procs) {
				r->procs[i].pid = raw[i].pid;
				r->procs[i].usedGpuMemory = raw[i].usedGpuMemory;
				r->procs[i].gpuInstanceId = raw[i].gpuInstanceId;
				r->procs[i].computeInstanceId = raw[i].computeInstanceId;
			} else {
				memcpy(&r->procs[i], (const char *)raw + i * sizeof(nvmlProcessInfo_t),
				    sizeof(nvmlProcessInfo_t));
			}
		}
	}
	free(raw);
	return rc;
}

/* NVML's utilization samples newer than last_seen_us, oldest first. */
static nvmlReturn_t
read_samples(struct nvml *n, nvmlDevice_t dev, uint64_t last_seen_us, struct gpu_reading *r)
{
	unsigned cnt = 0;
	int vtype = 0;
	nvmlSample_t *raw;
	nvmlReturn_t rc;

	rc = n->samples(dev, NVML_GPU_UTILIZATION_SAMPLES, last_seen_us, &vtype, &cnt, NULL);
	if (rc == NVML_ERROR_NOT_FOUND) {
		r->have_samples = true;		/* none since last_seen: an answer too */
		return NVML_SUCCESS;
	}
	if (rc != NVML_SUCCESS)
		return rc;
	if (cnt == 0) {
		r->have_samples = true;
		return NVML_SUCCESS;
	}
	if (cnt > NVML_MAX_SAMPLES)
		cnt = NVML_MAX_SAMPLES;
	if ((raw = calloc(cnt, sizeof(*raw))) == NULL)
		return NVML_ERROR_MEMORY;
	rc = n->samples(dev, NVML_GPU_UTILIZATION_SAMPLES, last_seen_us, &vtype, &cnt, raw);
	if (rc == NVML_ERROR_NOT_FOUND) {
		free(raw);
		r->have_samples = true;
		return NVML_SUCCESS;
	}
	if (rc != NVML_SUCCESS) {
		free(raw);
		return rc;
	}
	if ((r->samples = calloc(cnt ? cnt : 1, sizeof(*r->samples))) == NULL) {
		free(raw);
		return NVML_ERROR_MEMORY;
	}
	for (unsigned i = 0; i < cnt; i++) {
		unsigned long long v;

		switch (vtype) {
		case NVML_VALUE_TYPE_DOUBLE:
			v = raw[i].sampleValue.dVal < 0 ? 0 :
			    (unsigned long long)raw[i].sampleValue.dVal;
			break;
		case NVML_VALUE_TYPE_UNSIGNED_LONG:
			v = raw[i].sampleValue.ulVal;
			break;
		case NVML_VALUE_TYPE_UNSIGNED_LONG_LONG:
			v = raw[i].sampleValue.ullVal;
			break;
		case NVML_VALUE_TYPE_SIGNED_LONG_LONG:
			v = raw[i].sampleValue.sllVal < 0 ? 0 :
			    (unsigned long long)raw[i].sampleValue.sllVal;
			break;
		case NVML_VALUE_TYPE_SIGNED_INT:
			v = raw[i].sampleValue.siVal < 0 ? 0 :
			    (unsigned long long)raw[i].sampleValue.siVal;
			break;
		default:
			v = raw[i].sampleValue.uiVal;
			break;
		}
		r->samples[i].ts_us = raw[i].timeStamp > (unsigned long long)INT64_MAX ?
		    INT64_MAX : (int64_t)raw[i].timeStamp;
		r->samples[i].util = v > 100 ? 100 : (unsigned)v;
	}
	r->nsamples = cnt;
	r->have_samples = true;
	free(raw);
	acct_sort_samples(r->samples, r->nsamples);
	return NVML_SUCCESS;
}

/*
 * Everything the agent reads of one GPU.  A call that fails with
 * NOT_SUPPORTED leaves its part out (has_* false); any other failure
 * (the GPU lost, NVML not ready) stops the reading: r->rc and r->failed
 * say which, and the GPU is skipped for the interval.
 */
int
nvml_read_gpu(struct nvml *n, unsigned index, uint64_t last_seen_us, struct gpu_reading *r)
{
	nvmlUtilization_t u;
	nvmlMemory_t m;
	nvmlDevice_t dev;
	nvmlReturn_t rc;
	unsigned long long e;
	unsigned p;

	memset(r, 0, sizeof(*r));
	r->index = index;
	if ((rc = n->handle(index, &dev)) != NVML_SUCCESS)
		return stop(r, "nvmlDeviceGetHandleByIndex_v2", rc);
	if ((rc = n->uuid(dev, r->uuid, sizeof(r->uuid))) != NVML_SUCCESS)
		return stop(r, "nvmlDeviceGetUUID", rc);
	r->uuid[sizeof(r->uuid) - 1] = '\0';
	if ((rc = n->util(dev, &u)) == NVML_SUCCESS) {
		r->has_util = true;
		r->util_gpu = u.gpu > 100 ? 100 : u.gpu;
		r->util_mem = u.memory > 100 ? 100 : u.memory;
	} else if (rc != NVML_ERROR_NOT_SUPPORTED)
		return stop(r, "nvmlDeviceGetUtilizationRates", rc);
	if ((rc = n->memory(dev, &m)) == NVML_SUCCESS) {
		r->has_memory = true;
		r->mem_used = m.used;
		r->mem_total = m.total;
	} else if (rc != NVML_ERROR_NOT_SUPPORTED)
		return stop(r, "nvmlDeviceGetMemoryInfo", rc);
	if ((rc = read_procs(n, dev, r)) == NVML_SUCCESS)
		r->has_procs = true;
	else if (rc != NVML_ERROR_NOT_SUPPORTED && rc != NVML_ERROR_INSUFFICIENT_SIZE)
		return stop(r, "nvmlDeviceGetComputeRunningProcesses_v3", rc);
	if ((rc = n->energy(dev, &e)) == NVML_SUCCESS) {
		r->has_energy = true;
		r->energy_mj = e;
	} else if (rc != NVML_ERROR_NOT_SUPPORTED)
		return stop(r, "nvmlDeviceGetTotalEnergyConsumption", rc);
	if ((rc = n->power(dev, &p)) == NVML_SUCCESS) {
		r->has_power = true;
		r->power_mw = p;
	} else if (rc != NVML_ERROR_NOT_SUPPORTED)
		return stop(r, "nvmlDeviceGetPowerUsage", rc);
	if ((rc = read_samples(n, dev, last_seen_us, r)) != NVML_SUCCESS &&
	    rc != NVML_ERROR_NOT_SUPPORTED)
		return stop(r, "nvmlDeviceGetSamples", rc);
	if (!r->has_util && !r->have_samples)
		return stop(r, "nvmlDeviceGetUtilizationRates", NVML_ERROR_NOT_SUPPORTED);
	r->rc = NVML_SUCCESS;
	return 0;
}
