/* nvml_api.h: the few NVML types, codes and prototypes grantd-agent uses, written out here. */
#ifndef GRANTD_AGENT_NVML_API_H
#define GRANTD_AGENT_NVML_API_H

/*
 * grantd-agent loads libnvidia-ml.so.1 with dlopen at run time, so that it
 * builds without CUDA's headers and a node without the driver gets a clear
 * message instead of a loader error.  These declarations follow nvml.h
 * (the values and layouts are part of NVML's stable ABI); test/fakenvml/
 * implements the same symbols from this very header.
 */

typedef int nvmlReturn_t;
typedef struct nvmlDevice_st *nvmlDevice_t;

#define NVML_SUCCESS				0
#define NVML_ERROR_UNINITIALIZED		1
#define NVML_ERROR_INVALID_ARGUMENT		2
#define NVML_ERROR_NOT_SUPPORTED		3
#define NVML_ERROR_NO_PERMISSION		4
#define NVML_ERROR_ALREADY_INITIALIZED		5
#define NVML_ERROR_NOT_FOUND			6
#define NVML_ERROR_INSUFFICIENT_SIZE		7
#define NVML_ERROR_INSUFFICIENT_POWER		8
#define NVML_ERROR_DRIVER_NOT_LOADED		9
#define NVML_ERROR_TIMEOUT			10
#define NVML_ERROR_IRQ_ISSUE			11
#define NVML_ERROR_LIBRARY_NOT_FOUND		12
#define NVML_ERROR_FUNCTION_NOT_FOUND		13
#define NVML_ERROR_CORRUPTED_INFOROM		14
#define NVML_ERROR_GPU_IS_LOST			15
#define NVML_ERROR_RESET_REQUIRED		16
#define NVML_ERROR_OPERATING_SYSTEM		17
#define NVML_ERROR_LIB_RM_VERSION_MISMATCH	18
#define NVML_ERROR_IN_USE			19
#define NVML_ERROR_MEMORY			20
#define NVML_ERROR_NO_DATA			21
#define NVML_ERROR_NOT_READY			27
#define NVML_ERROR_GPU_NOT_FOUND		28
#define NVML_ERROR_UNKNOWN			999

/* NVML_DEVICE_UUID_V2_BUFFER_SIZE */
#define NVML_UUID_LEN				96

typedef struct {
	unsigned int gpu;		/* % of the last sample period a kernel ran */
	unsigned int memory;		/* % of it the memory was read or written */
} nvmlUtilization_t;

typedef struct {
	unsigned long long total;	/* bytes */
	unsigned long long free;
	unsigned long long used;
} nvmlMemory_t;

/* nvmlProcessInfo_v2_t, which the _v3 process queries fill. */
typedef struct {
	unsigned int pid;
	unsigned long long usedGpuMemory;	/* bytes */
	unsigned int gpuInstanceId;
	unsigned int computeInstanceId;
} nvmlProcessInfo_t;

/*
 * What some R535 drivers write instead through the same _v3 call: the
 * entry with usedGpuCcProtectedMemory after it, 32 bytes where the header
 * says 24 (NVIDIA's headers and drivers disagreed for a while; pynvml and
 * nvitop met it).  The first four fields are laid out alike.
 */
typedef struct {
	unsigned int pid;
	unsigned long long usedGpuMemory;
	unsigned int gpuInstanceId;
	unsigned int computeInstanceId;
	unsigned long long usedGpuCcProtectedMemory;
} nvmlProcessInfoWide_t;

/* nvmlSamplingType_t */
#define NVML_GPU_UTILIZATION_SAMPLES		1

/* nvmlValueType_t */
#define NVML_VALUE_TYPE_DOUBLE			0
#define NVML_VALUE_TYPE_UNSIGNED_INT		1
#define NVML_VALUE_TYPE_UNSIGNED_LONG		2
#define NVML_VALUE_TYPE_UNSIGNED_LONG_LONG	3
#define NVML_VALUE_TYPE_SIGNED_LONG_LONG	4
#define NVML_VALUE_TYPE_SIGNED_INT		5

typedef union {
	double dVal;
	int siVal;
	unsigned int uiVal;
	unsigned long ulVal;
	unsigned long long ullVal;
	signed long long sllVal;
} nvmlValue_t;

typedef struct {
	unsigned long long timeStamp;	/* CPU time in microseconds since the epoch */
	nvmlValue_t sampleValue;
} nvmlSample_t;

/* The entry points, as their types (nvml.c resolves each with dlsym). */
typedef nvmlReturn_t (*nvml_init_fn)(void);
typedef nvmlReturn_t (*nvml_shutdown_fn)(void);
typedef const char *(*nvml_error_string_fn)(nvmlReturn_t);
typedef nvmlReturn_t (*nvml_count_fn)(unsigned int *);
typedef nvmlReturn_t (*nvml_handle_fn)(unsigned int, nvmlDevice_t *);
typedef nvmlReturn_t (*nvml_uuid_fn)(nvmlDevice_t, char *, unsigned int);
typedef nvmlReturn_t (*nvml_util_fn)(nvmlDevice_t, nvmlUtilization_t *);
typedef nvmlReturn_t (*nvml_memory_fn)(nvmlDevice_t, nvmlMemory_t *);
typedef nvmlReturn_t (*nvml_procs_fn)(nvmlDevice_t, unsigned int *, nvmlProcessInfo_t *);
typedef nvmlReturn_t (*nvml_energy_fn)(nvmlDevice_t, unsigned long long *);
typedef nvmlReturn_t (*nvml_power_fn)(nvmlDevice_t, unsigned int *);
typedef nvmlReturn_t (*nvml_samples_fn)(nvmlDevice_t, int, unsigned long long, int *,
    unsigned int *, nvmlSample_t *);

#endif
