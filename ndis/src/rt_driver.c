/*
 * rt_driver.c -- a provider that comes in as a driver: DriverEntry with a
 * driver object and a registry path, NdisMRegisterMiniportDriver /
 * NdisFRegisterFilterDriver (which call the driver's SetOptionsHandler from
 * inside, as NDIS does), their deregistration, and unload through the driver
 * object's DriverUnload routine.  Also the two checked-build hooks the driver
 * macros call: ShmfRtAssertFailed (ASSERT, NT_ASSERT, ...) and ShmfRtPagedCode
 * (PAGED_CODE).
 *
 * The verifier checks the registration path: IRQL (PASSIVE_LEVEL), the
 * characteristics (header type, revision and size, NDIS major version 6, the
 * handlers NDIS requires), that DriverEntry left a driver registered when it
 * succeeded and none when it failed, and that unload deregistered it.  shmfuzz
 * calls only SetOptions and unload; the other handlers are checked for
 * presence and never called.
 *
 * Locking: the driver state is written only at load and unload, while no
 * simulated processor runs provider code (rt_world.c), so it takes no lock.
 * layer: 20 subsystem (calls the base only)
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rt_shm.h"

enum drv_kind { DRV_NONE, DRV_MINIPORT, DRV_FILTER };

/* Registration and the objects DriverEntry saw.  Written at load and unload only. */
static struct {
    DRIVER_OBJECT object;
    UNICODE_STRING registry_path;
    bool in_load;        /* between DriverEntry's call and the load's end */
    enum drv_kind kind;  /* the driver registered (DRV_NONE: none now) */
    NDIS_HANDLE context; /* MiniportDriverContext / FilterDriverContext */
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS miniport; /* NDIS's copy */
    NDIS_FILTER_DRIVER_CHARACTERISTICS filter;     /* NDIS's copy */
} drv;

static char driver_object[64]; /* what NdisDriverHandle points at */

NDIS_HANDLE shmf_rt_driver_handle(void)
{
    return driver_object;
}

static WCHAR driver_name[] = L"\\Driver\\shmfprov";
static WCHAR registry_path[] =
    L"\\Registry\\Machine\\System\\CurrentControlSet\\Services\\shmfprov";

static const char *kind_text(enum drv_kind k)
{
    return k == DRV_MINIPORT ? "miniport" : k == DRV_FILTER ? "filter" : "no";
}

void shmf__driver_reset(void)
{
    memset(&drv, 0, sizeof(drv));
}

/* === Characteristics checks === */

struct required {
    size_t offset; /* of a handler pointer in the characteristics */
    const char *name;
};

#define REQ(T, f)                                                                                  \
    {                                                                                              \
        offsetof(T, f), #f                                                                         \
    }
static const struct required miniport_required[] = {
    REQ(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, InitializeHandlerEx),
    REQ(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, HaltHandlerEx),
    REQ(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, UnloadHandler),
    REQ(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, PauseHandler),
    REQ(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, RestartHandler),
    REQ(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, OidRequestHandler),
    REQ(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, SendNetBufferListsHandler),
    REQ(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, ReturnNetBufferListsHandler),
    REQ(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, CancelSendHandler),
    REQ(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, DevicePnPEventNotifyHandler),
    REQ(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, ShutdownHandlerEx),
    REQ(NDIS_MINIPORT_DRIVER_CHARACTERISTICS, CancelOidRequestHandler),
};
static const struct required filter_required[] = {
    REQ(NDIS_FILTER_DRIVER_CHARACTERISTICS, AttachHandler),
    REQ(NDIS_FILTER_DRIVER_CHARACTERISTICS, DetachHandler),
    REQ(NDIS_FILTER_DRIVER_CHARACTERISTICS, RestartHandler),
    REQ(NDIS_FILTER_DRIVER_CHARACTERISTICS, PauseHandler),
};
#undef REQ

/* What one kind of characteristics must look like. */
struct chars_rule {
    UCHAR type;
    const char *type_name;
    USHORT size[4]; /* NDIS_SIZEOF_..._REVISION_n, n = 1..3 */
    const struct required *req;
    size_t nreq;
};

static const struct chars_rule miniport_rule = {
    NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS,
    "NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS",
    {0, NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1,
     NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2,
     NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3},
    miniport_required,
    sizeof(miniport_required) / sizeof(miniport_required[0])};
static const struct chars_rule filter_rule = {
    NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS,
    "NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS",
    {0, NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_1,
     NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_2,
     NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_3},
    filter_required,
    sizeof(filter_required) / sizeof(filter_required[0])};

/* Check NDIS's copy `c` (header h, NDIS version major.minor).  Returns
   NDIS_STATUS_SUCCESS, or the status NDIS fails the registration with after
   reporting driver-characteristics-invalid. */
static NDIS_STATUS chars_check(const struct chars_rule *r, const void *c,
                               const NDIS_OBJECT_HEADER *h, UCHAR major, UCHAR minor,
                               const char *fn)
{
    char why[200] = "";
    NDIS_STATUS st = NDIS_STATUS_BAD_CHARACTERISTICS;
    if (h->Type != r->type)
        snprintf(why, sizeof(why), "Header.Type %#x; expected %s (%#x)", h->Type, r->type_name,
                 r->type);
    else if (h->Revision < 1 || h->Revision > 3)
        snprintf(why, sizeof(why), "Header.Revision %u; expected 1, 2 or 3", h->Revision);
    else if (h->Size < r->size[h->Revision])
        snprintf(why, sizeof(why), "Header.Size %#x is less than revision %u's size %#x", h->Size,
                 h->Revision, r->size[h->Revision]);
    else if (major != 6) {
        snprintf(why, sizeof(why), "NDIS version %u.%u; an NDIS 6 driver registers as 6.x", major,
                 minor);
        st = NDIS_STATUS_BAD_VERSION;
    } else {
        for (size_t i = 0; i < r->nreq && !why[0]; i++) {
            void *handler;
            memcpy(&handler, (const char *)c + r->req[i].offset, sizeof(handler));
            if (!handler)
                snprintf(why, sizeof(why), "no %s (required)", r->req[i].name);
        }
    }
    if (!why[0])
        return NDIS_STATUS_SUCCESS;
    shmf__report(SHMF_KIND_DRIVER_CHARACTERISTICS_INVALID, (uint64_t)(uintptr_t)c, fn, NULL,
                 "%s characteristics rejected: %s", fn, why);
    return st;
}

/* Copy min(Header.Size, n) bytes of the caller's characteristics (NDIS keeps
   its own copy; the caller's usually lives on DriverEntry's stack). */
static void chars_copy(void *dst, const void *src, size_t n)
{
    size_t have = ((const NDIS_OBJECT_HEADER *)src)->Size;
    memset(dst, 0, n);
    memcpy(dst, src, have < n ? have : n);
}

/* === Registration === */

/* Common argument checks; false (reported) when the call must fail. */
static bool register_args_ok(PDRIVER_OBJECT obj, const void *chars, PNDIS_HANDLE out,
                             const char *fn)
{
    const char *why = NULL;
    if (obj != &drv.object || !drv.in_load)
        why = "DriverObject is not the driver object DriverEntry received";
    else if (!chars || !out)
        why = "NULL characteristics or NULL handle output";
    else if (drv.kind != DRV_NONE)
        why = drv.kind == DRV_MINIPORT ? "the driver already registered a miniport driver"
                                       : "the driver already registered a filter driver";
    if (!why)
        return true;
    shmf__report(SHMF_KIND_ROUTINE_MISUSE, (uint64_t)(uintptr_t)obj, fn,
                 "register once, from DriverEntry, with its DriverObject", "%s(%p): %s", fn,
                 (void *)obj, why);
    return false;
}

/* Call the driver's SetOptionsHandler (NDIS does it from inside the
   registration call), in a handler frame named `role`. */
static NDIS_STATUS call_set_options(SET_OPTIONS_HANDLER h, NDIS_HANDLE context, const char *role)
{
    struct shmf_handler_frame fr;
    if (!h)
        return NDIS_STATUS_SUCCESS;
    shmf__handler_enter(&fr);
    NDIS_STATUS st = h(shmf_rt_driver_handle(), context);
    shmf__handler_exit(&fr, role);
    return st;
}

/* NDIS's unload routine for a miniport driver: MiniportDriverUnload. */
static VOID ndis_miniport_unload(PDRIVER_OBJECT DriverObject)
{
    struct shmf_handler_frame fr;
    MINIPORT_DRIVER_UNLOAD unload = drv.miniport.UnloadHandler;
    if (!unload)
        return;
    shmf__handler_enter(&fr);
    unload(DriverObject);
    shmf__handler_exit(&fr, "MiniportDriverUnload");
}

NDIS_STATUS NdisMRegisterMiniportDriver(
    PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath, NDIS_HANDLE MiniportDriverContext,
    PNDIS_MINIPORT_DRIVER_CHARACTERISTICS MiniportDriverCharacteristics,
    PNDIS_HANDLE NdisMiniportDriverHandle)
{
    static const char fn[] = "NdisMRegisterMiniportDriver";
    PNDIS_MINIPORT_DRIVER_CHARACTERISTICS c = MiniportDriverCharacteristics;
    (void)RegistryPath;
    if (NdisMiniportDriverHandle)
        *NdisMiniportDriverHandle = NULL;
    if (!shmf__irql_check_eq(PASSIVE_LEVEL, fn, "NdisMRegisterMiniportDriver page: PASSIVE_LEVEL"))
        return NDIS_STATUS_FAILURE;
    if (!register_args_ok(DriverObject, c, NdisMiniportDriverHandle, fn))
        return NDIS_STATUS_FAILURE;
    chars_copy(&drv.miniport, c, sizeof(drv.miniport));
    NDIS_STATUS st = chars_check(&miniport_rule, &drv.miniport, &c->Header, c->MajorNdisVersion,
                                 c->MinorNdisVersion, fn);
    if (st != NDIS_STATUS_SUCCESS)
        return st;
    drv.kind = DRV_MINIPORT;
    drv.context = MiniportDriverContext;
    PDRIVER_UNLOAD previous = DriverObject->DriverUnload;
    DriverObject->DriverUnload = ndis_miniport_unload;
    st = call_set_options(drv.miniport.SetOptionsHandler, MiniportDriverContext,
                          "MiniportSetOptions");
    if (st != NDIS_STATUS_SUCCESS) {
        drv.kind = DRV_NONE;
        DriverObject->DriverUnload = previous;
        return st;
    }
    *NdisMiniportDriverHandle = shmf_rt_driver_handle();
    return NDIS_STATUS_SUCCESS;
}

NDIS_STATUS
NdisFRegisterFilterDriver(PDRIVER_OBJECT DriverObject, NDIS_HANDLE FilterDriverContext,
                          PNDIS_FILTER_DRIVER_CHARACTERISTICS FilterDriverCharacteristics,
                          PNDIS_HANDLE NdisFilterDriverHandle)
{
    static const char fn[] = "NdisFRegisterFilterDriver";
    PNDIS_FILTER_DRIVER_CHARACTERISTICS c = FilterDriverCharacteristics;
    if (NdisFilterDriverHandle)
        *NdisFilterDriverHandle = NULL;
    if (!shmf__irql_check_max(PASSIVE_LEVEL, fn, "NdisFRegisterFilterDriver page: PASSIVE_LEVEL"))
        return NDIS_STATUS_FAILURE;
    if (!register_args_ok(DriverObject, c, NdisFilterDriverHandle, fn))
        return NDIS_STATUS_FAILURE;
    chars_copy(&drv.filter, c, sizeof(drv.filter));
    NDIS_STATUS st = chars_check(&filter_rule, &drv.filter, &c->Header, c->MajorNdisVersion,
                                 c->MinorNdisVersion, fn);
    if (st != NDIS_STATUS_SUCCESS)
        return st;
    drv.kind = DRV_FILTER;
    drv.context = FilterDriverContext;
    st = call_set_options(drv.filter.SetOptionsHandler, FilterDriverContext, "FilterSetOptions");
    if (st != NDIS_STATUS_SUCCESS) {
        drv.kind = DRV_NONE;
        return st;
    }
    *NdisFilterDriverHandle = shmf_rt_driver_handle();
    return NDIS_STATUS_SUCCESS;
}

static void deregister(NDIS_HANDLE handle, enum drv_kind kind, const char *fn)
{
    if (drv.kind == kind && handle == shmf_rt_driver_handle() && handle) {
        drv.kind = DRV_NONE;
        return;
    }
    shmf__report(SHMF_KIND_ROUTINE_MISUSE, (uint64_t)(uintptr_t)handle, fn,
                 "deregister the handle the registration returned, once",
                 "%s(%p): not a registered %s driver handle (the driver has %s driver "
                 "registered)",
                 fn, handle, kind_text(kind), kind_text(drv.kind));
}

VOID NdisMDeregisterMiniportDriver(NDIS_HANDLE NdisMiniportDriverHandle)
{
    static const char fn[] = "NdisMDeregisterMiniportDriver";
    shmf__irql_check_eq(PASSIVE_LEVEL, fn, "NdisMDeregisterMiniportDriver page: PASSIVE_LEVEL");
    deregister(NdisMiniportDriverHandle, DRV_MINIPORT, fn);
}

VOID NdisFDeregisterFilterDriver(NDIS_HANDLE NdisFilterDriverHandle)
{
    static const char fn[] = "NdisFDeregisterFilterDriver";
    shmf__irql_check_max(PASSIVE_LEVEL, fn, "NdisFDeregisterFilterDriver page: PASSIVE_LEVEL");
    deregister(NdisFilterDriverHandle, DRV_FILTER, fn);
}

/* === Load and unload === */

static void init_objects(void)
{
    memset(&drv, 0, sizeof(drv));
    drv.object.Type = IO_TYPE_DRIVER;
    drv.object.Size = (CSHORT)sizeof(DRIVER_OBJECT);
    RtlInitUnicodeString(&drv.object.DriverName, driver_name);
    RtlInitUnicodeString(&drv.registry_path, registry_path);
}

int shmf__driver_load(shmf_driver_entry_fn entry)
{
    struct shmf_handler_frame fr;
    init_objects();
    drv.object.DriverInit = entry;
    drv.in_load = true;
    shmf__handler_enter(&fr);
    NTSTATUS st = entry(&drv.object, &drv.registry_path);
    shmf__handler_exit(&fr, "DriverEntry");
    drv.in_load = false;
    if (!NT_SUCCESS(st)) {
        if (drv.kind != DRV_NONE)
            shmf__report(SHMF_KIND_DRIVER_NOT_DEREGISTERED, (uint64_t)(uint32_t)st, "DriverEntry",
                         NULL,
                         "DriverEntry failed (status %#x) and left its %s driver registered; "
                         "deregister before failing",
                         (unsigned)st, kind_text(drv.kind));
        return drv.kind != DRV_NONE ? -EINVAL : -ENODEV;
    }
    if (drv.kind == DRV_NONE) {
        shmf__report(SHMF_KIND_DRIVER_NOT_REGISTERED, 0, "DriverEntry", NULL,
                     "DriverEntry returned success without a registered miniport or filter "
                     "driver (NdisMRegisterMiniportDriver / NdisFRegisterFilterDriver)");
        return -EINVAL;
    }
    return 0;
}

void shmf__driver_unload(void)
{
    struct shmf_handler_frame fr;
    PDRIVER_UNLOAD unload = drv.object.DriverUnload;
    if (unload) {
        shmf__handler_enter(&fr);
        unload(&drv.object);
        shmf__handler_exit(&fr, "DriverUnload");
    }
    if (drv.kind != DRV_NONE)
        shmf__report(SHMF_KIND_DRIVER_NOT_DEREGISTERED, 0, unload ? "DriverUnload" : "DriverEntry",
                     NULL, "%s driver still registered after %s",
                     drv.kind == DRV_MINIPORT ? "miniport" : "filter",
                     !unload ? "unload: the driver object has no DriverUnload routine"
                     : drv.kind == DRV_MINIPORT
                         ? "MiniportDriverUnload (it must call NdisMDeregisterMiniportDriver)"
                         : "DriverUnload (it must call NdisFDeregisterFilterDriver)");
    memset(&drv, 0, sizeof(drv));
}

/* === Checked-build hooks of the driver macros (ndis.h) === */

VOID ShmfRtAssertFailed(const char *Expression, const char *File, ULONG Line)
{
    const char *base = File ? strrchr(File, '/') : NULL;
    shmf__report(SHMF_KIND_ASSERTION_FAILED, Line, "ASSERT", NULL, "assertion failed: %s (%s:%u)",
                 Expression ? Expression : "?",
                 base   ? base + 1
                 : File ? File
                        : "?",
                 (unsigned)Line);
}

VOID ShmfRtPagedCode(const char *Function)
{
    shmf__irql_check_max(
        APC_LEVEL, Function ? Function : "PAGED_CODE",
        "PAGED_CODE(): pageable code runs at IRQL <= APC_LEVEL (DV IRQL checking)");
}
