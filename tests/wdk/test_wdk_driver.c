/*
 * test_wdk_driver.c -- a provider that comes in as a driver (issue 17 item 3):
 * DriverEntry registers a miniport or a filter driver whose SetOptions handler
 * registers the shared-memory provider, and unload deregisters it.  Clean
 * drivers of both kinds load and unload without findings; each rule of the
 * registration path has a driver that breaks exactly it.
 *
 * The drivers here are small: a provider whose allocate handler always
 * declines (the allocation paths are exercised by driver_miniport.c and
 * driver_filter.cpp under `shmfuzz replay` and `stress`).
 */
#include <errno.h>
#include <ndis.h>
#include <string.h>

#include "shmf_test.h"

/* What the next driver does wrong (one at a time). */
static struct {
    bool bad_type, bad_size, no_pause, ndis5, no_attach;
    bool no_register, no_deregister, no_driver_unload, fail_after_register;
    bool register_at_dispatch, deregister_twice, register_twice;
    bool set_options_no_provider, set_options_fails;
    NDIS_HANDLE handle;
    int set_options_calls, unload_calls;
} d;

/* === The shared-memory provider the drivers register === */

static NDIS_STATUS DeclineAllocate(NDIS_HANDLE Ctx, PNDIS_SHARED_MEMORY_PARAMETERS P,
                                   PNDIS_HANDLE pCtx)
{
    (void)Ctx;
    (void)P;
    (void)pCtx;
    return NDIS_STATUS_RESOURCES;
}

static VOID NothingToFree(NDIS_HANDLE Ctx, NDIS_HANDLE Block)
{
    (void)Ctx;
    (void)Block;
}

static MINIPORT_SET_OPTIONS TestSetOptions;
static NDIS_STATUS TestSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS chars;
    (void)DriverContext;
    d.set_options_calls++;
    assert_int_equal(KeGetCurrentIrql(), PASSIVE_LEVEL);
    if (d.set_options_fails)
        return NDIS_STATUS_RESOURCES;
    if (d.set_options_no_provider)
        return NDIS_STATUS_SUCCESS;
    memset(&chars, 0, sizeof(chars));
    chars.Header.Type = NDIS_OBJECT_TYPE_SHARED_MEMORY_PROVIDER_CHARACTERISTICS;
    chars.Header.Revision = NDIS_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    chars.Header.Size = NDIS_SIZEOF_SHARED_MEMORY_PROVIDER_CHARACTERISTICS_REVISION_1;
    chars.AllocateSharedMemoryHandler = DeclineAllocate;
    chars.FreeSharedMemoryHandler = NothingToFree;
    return NdisSetOptionalHandlers(NdisDriverHandle, (PNDIS_DRIVER_OPTIONAL_HANDLERS)&chars);
}

/* === A miniport driver === */

static NDIS_STATUS MpInit(NDIS_HANDLE a, NDIS_HANDLE b, PNDIS_MINIPORT_INIT_PARAMETERS c)
{
    (void)a, (void)b, (void)c;
    return NDIS_STATUS_SUCCESS;
}
static VOID MpHalt(NDIS_HANDLE a, NDIS_HALT_ACTION b)
{
    (void)a, (void)b;
}
static NDIS_STATUS MpPause(NDIS_HANDLE a, PNDIS_MINIPORT_PAUSE_PARAMETERS b)
{
    (void)a, (void)b;
    return NDIS_STATUS_SUCCESS;
}
static NDIS_STATUS MpRestart(NDIS_HANDLE a, PNDIS_MINIPORT_RESTART_PARAMETERS b)
{
    (void)a, (void)b;
    return NDIS_STATUS_SUCCESS;
}
static NDIS_STATUS MpOid(NDIS_HANDLE a, PNDIS_OID_REQUEST b)
{
    (void)a, (void)b;
    return NDIS_STATUS_NOT_SUPPORTED;
}
static VOID MpSend(NDIS_HANDLE a, PNET_BUFFER_LIST b, NDIS_PORT_NUMBER c, ULONG e)
{
    (void)a, (void)b, (void)c, (void)e;
}
static VOID MpReturn(NDIS_HANDLE a, PNET_BUFFER_LIST b, ULONG c)
{
    (void)a, (void)b, (void)c;
}
static VOID MpCancel(NDIS_HANDLE a, PVOID b)
{
    (void)a, (void)b;
}
static VOID MpPnp(NDIS_HANDLE a, PNET_DEVICE_PNP_EVENT b)
{
    (void)a, (void)b;
}
static VOID MpShutdown(NDIS_HANDLE a, NDIS_SHUTDOWN_ACTION b)
{
    (void)a, (void)b;
}

static MINIPORT_UNLOAD MpUnload;
static VOID MpUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    d.unload_calls++;
    if (!d.no_deregister)
        NdisMDeregisterMiniportDriver(d.handle);
    if (d.deregister_twice)
        NdisMDeregisterMiniportDriver(d.handle);
}

static void miniport_chars(PNDIS_MINIPORT_DRIVER_CHARACTERISTICS c)
{
    memset(c, 0, sizeof(*c));
    c->Header.Type = d.bad_type ? NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS
                                : NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    c->Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    c->Header.Size = d.bad_size ? NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1
                                : NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2;
    c->MajorNdisVersion = d.ndis5 ? 5 : NDIS_MINIPORT_MAJOR_VERSION;
    c->MinorNdisVersion = d.ndis5 ? 1 : NDIS_MINIPORT_MINOR_VERSION;
    c->SetOptionsHandler = TestSetOptions;
    c->InitializeHandlerEx = MpInit;
    c->HaltHandlerEx = MpHalt;
    c->UnloadHandler = MpUnload;
    c->PauseHandler = d.no_pause ? NULL : MpPause;
    c->RestartHandler = MpRestart;
    c->OidRequestHandler = MpOid;
    c->SendNetBufferListsHandler = MpSend;
    c->ReturnNetBufferListsHandler = MpReturn;
    c->CancelSendHandler = MpCancel;
    c->DevicePnPEventNotifyHandler = MpPnp;
    c->ShutdownHandlerEx = MpShutdown;
    c->CancelOidRequestHandler = MpCancel;
}

static NTSTATUS MiniportEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS chars;
    KIRQL old = PASSIVE_LEVEL;
    assert_int_equal(DriverObject->Type, IO_TYPE_DRIVER);
    assert_true(RegistryPath->Length > 0);
    if (d.no_register)
        return STATUS_SUCCESS;
    miniport_chars(&chars);
    if (d.register_at_dispatch)
        old = KeRaiseIrqlToDpcLevel();
    NDIS_STATUS st =
        NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &chars, &d.handle);
    if (d.register_at_dispatch)
        KeLowerIrql(old);
    if (st == NDIS_STATUS_SUCCESS && d.register_twice) {
        NDIS_HANDLE second;
        st = NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, &chars, &second);
        assert_int_equal(st, NDIS_STATUS_FAILURE);
        st = NDIS_STATUS_SUCCESS;
    }
    if (st != NDIS_STATUS_SUCCESS)
        return (NTSTATUS)st;
    return d.fail_after_register ? STATUS_UNSUCCESSFUL : STATUS_SUCCESS;
}

/* === A filter driver === */

static NDIS_STATUS FAttach(NDIS_HANDLE a, NDIS_HANDLE b, PNDIS_FILTER_ATTACH_PARAMETERS c)
{
    (void)a, (void)b, (void)c;
    return NDIS_STATUS_SUCCESS;
}
static VOID FDetach(NDIS_HANDLE a)
{
    (void)a;
}
static NDIS_STATUS FRestart(NDIS_HANDLE a, PNDIS_FILTER_RESTART_PARAMETERS b)
{
    (void)a, (void)b;
    return NDIS_STATUS_SUCCESS;
}
static NDIS_STATUS FPause(NDIS_HANDLE a, PNDIS_FILTER_PAUSE_PARAMETERS b)
{
    (void)a, (void)b;
    return NDIS_STATUS_SUCCESS;
}

static DRIVER_UNLOAD FilterUnload;
static VOID FilterUnload(PDRIVER_OBJECT DriverObject)
{
    (void)DriverObject;
    d.unload_calls++;
    if (!d.no_deregister)
        NdisFDeregisterFilterDriver(d.handle);
}

static NTSTATUS FilterEntry(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NDIS_FILTER_DRIVER_CHARACTERISTICS chars;
    (void)RegistryPath;
    memset(&chars, 0, sizeof(chars));
    if (!d.no_driver_unload)
        DriverObject->DriverUnload = FilterUnload;
    chars.Header.Type = NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS;
    chars.Header.Revision = NDIS_FILTER_CHARACTERISTICS_REVISION_1;
    chars.Header.Size = NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_1;
    chars.MajorNdisVersion = NDIS_FILTER_MAJOR_VERSION;
    chars.MinorNdisVersion = NDIS_FILTER_MINOR_VERSION;
    chars.FriendlyName = (NDIS_STRING)RTL_CONSTANT_STRING(L"test filter");
    chars.SetOptionsHandler = TestSetOptions;
    chars.AttachHandler = d.no_attach ? NULL : FAttach;
    chars.DetachHandler = FDetach;
    chars.RestartHandler = FRestart;
    chars.PauseHandler = FPause;
    return (NTSTATUS)NdisFRegisterFilterDriver(DriverObject, NULL, &chars, &d.handle);
}

/* === Tests === */

static const struct shmf_provider miniport = {.name = "miniport", .driver_entry = MiniportEntry};
static const struct shmf_provider filter = {.name = "filter", .driver_entry = FilterEntry};

static int setup(void **state)
{
    memset(&d, 0, sizeof(d));
    return shmf_test_setup(state);
}

static void miniport_clean(void **state)
{
    (void)state;
    assert_int_equal(shmf_rt_provider_load(&miniport), 0);
    assert_true(shmf_rt_provider_loaded());
    assert_int_equal(d.set_options_calls, 1);
    assert_ptr_equal(d.handle, shmf_rt_driver_handle());
    shmf_rt_provider_unload();
    assert_int_equal(d.unload_calls, 1);
    /* And again, as the reload op does. */
    assert_int_equal(shmf_rt_provider_load(&miniport), 0);
    shmf_rt_provider_unload();
    assert_int_equal(d.unload_calls, 2);
    EXPECT_NO_FINDING();
}

static void filter_clean(void **state)
{
    (void)state;
    assert_int_equal(shmf_rt_provider_load(&filter), 0);
    assert_int_equal(d.set_options_calls, 1);
    shmf_rt_provider_unload();
    assert_int_equal(d.unload_calls, 1);
    EXPECT_NO_FINDING();
}

static NDIS_STATUS ShortFormSetOptions(NDIS_HANDLE h, NDIS_HANDLE c)
{
    return TestSetOptions(h, c);
}

static void short_form_still_works(void **state)
{
    (void)state;
    const struct shmf_provider both = {
        .name = "both", .set_options = ShortFormSetOptions, .driver_entry = MiniportEntry};
    assert_int_equal(shmf_rt_provider_load(&both), 0);
    assert_int_equal(d.set_options_calls, 1);
    shmf_rt_provider_unload();
    assert_int_equal(d.unload_calls, 0); /* DriverEntry was never called: the short form wins */
    EXPECT_NO_FINDING();
}

static void set_options_failure_fails_the_load(void **state)
{
    (void)state;
    d.set_options_fails = true;
    assert_int_equal(shmf_rt_provider_load(&miniport), -ENODEV);
    EXPECT_NO_FINDING();
}

static void characteristics_wrong_type(void **state)
{
    (void)state;
    d.bad_type = true;
    assert_int_equal(shmf_rt_provider_load(&miniport), -ENODEV);
    EXPECT_FINDING(SHMF_KIND_DRIVER_CHARACTERISTICS_INVALID);
    assert_string_equal(shmf_rt_finding(0)->function, "NdisMRegisterMiniportDriver");
    assert_int_equal(d.set_options_calls, 0);
}

static void characteristics_size_below_revision(void **state)
{
    (void)state;
    d.bad_size = true;
    assert_int_equal(shmf_rt_provider_load(&miniport), -ENODEV);
    EXPECT_FINDING(SHMF_KIND_DRIVER_CHARACTERISTICS_INVALID);
    assert_non_null(strstr(shmf_rt_finding(0)->message, "Header.Size"));
}

static void characteristics_missing_handler(void **state)
{
    (void)state;
    d.no_pause = true;
    assert_int_equal(shmf_rt_provider_load(&miniport), -ENODEV);
    EXPECT_FINDING(SHMF_KIND_DRIVER_CHARACTERISTICS_INVALID);
    assert_non_null(strstr(shmf_rt_finding(0)->message, "PauseHandler"));
}

static void characteristics_ndis5(void **state)
{
    (void)state;
    d.ndis5 = true;
    assert_int_equal(shmf_rt_provider_load(&miniport), -ENODEV);
    EXPECT_FINDING(SHMF_KIND_DRIVER_CHARACTERISTICS_INVALID);
    assert_non_null(strstr(shmf_rt_finding(0)->message, "5.1"));
}

static void filter_missing_attach(void **state)
{
    (void)state;
    d.no_attach = true;
    assert_int_equal(shmf_rt_provider_load(&filter), -ENODEV);
    EXPECT_FINDING(SHMF_KIND_DRIVER_CHARACTERISTICS_INVALID);
    assert_non_null(strstr(shmf_rt_finding(0)->message, "AttachHandler"));
}

static void driver_entry_registers_nothing(void **state)
{
    (void)state;
    d.no_register = true;
    assert_int_equal(shmf_rt_provider_load(&miniport), -EINVAL);
    EXPECT_FINDING(SHMF_KIND_DRIVER_NOT_REGISTERED);
}

static void driver_entry_fails_registered(void **state)
{
    (void)state;
    d.fail_after_register = true;
    assert_int_equal(shmf_rt_provider_load(&miniport), -EINVAL);
    EXPECT_FINDING(SHMF_KIND_DRIVER_NOT_DEREGISTERED);
    assert_string_equal(shmf_rt_finding(0)->function, "DriverEntry");
}

static void miniport_unload_without_deregister(void **state)
{
    (void)state;
    d.no_deregister = true;
    assert_int_equal(shmf_rt_provider_load(&miniport), 0);
    shmf_rt_provider_unload();
    EXPECT_FINDING(SHMF_KIND_DRIVER_NOT_DEREGISTERED);
    assert_non_null(strstr(shmf_rt_finding(0)->message, "NdisMDeregisterMiniportDriver"));
}

static void filter_without_driver_unload(void **state)
{
    (void)state;
    d.no_driver_unload = true;
    assert_int_equal(shmf_rt_provider_load(&filter), 0);
    shmf_rt_provider_unload();
    EXPECT_FINDING(SHMF_KIND_DRIVER_NOT_DEREGISTERED);
    assert_non_null(strstr(shmf_rt_finding(0)->message, "no DriverUnload"));
}

static void register_above_passive(void **state)
{
    (void)state;
    d.register_at_dispatch = true;
    assert_int_equal(shmf_rt_provider_load(&miniport), -ENODEV);
    EXPECT_FINDING(SHMF_KIND_IRQL_TOO_HIGH);
    assert_string_equal(shmf_rt_finding(0)->function, "NdisMRegisterMiniportDriver");
}

static void deregister_twice(void **state)
{
    (void)state;
    d.deregister_twice = true;
    assert_int_equal(shmf_rt_provider_load(&miniport), 0);
    shmf_rt_provider_unload();
    EXPECT_FINDING(SHMF_KIND_ROUTINE_MISUSE);
    assert_string_equal(shmf_rt_finding(0)->function, "NdisMDeregisterMiniportDriver");
}

static void register_twice(void **state)
{
    (void)state;
    d.register_twice = true;
    assert_int_equal(shmf_rt_provider_load(&miniport), 0);
    EXPECT_FINDING(SHMF_KIND_ROUTINE_MISUSE);
    assert_string_equal(shmf_rt_finding(0)->function, "NdisMRegisterMiniportDriver");
    shmf_rt_provider_unload();
}

static void set_options_registers_no_provider(void **state)
{
    (void)state;
    d.set_options_no_provider = true;
    assert_int_equal(shmf_rt_provider_load(&filter), -EINVAL);
    EXPECT_FINDING(SHMF_KIND_REGISTER_MISSING_HANDLER);
    assert_string_equal(shmf_rt_finding(0)->function, "DriverEntry");
    assert_int_equal(d.unload_calls, 1); /* the driver got to deregister */
    assert_int_equal(shmf_rt_finding_count(), 1);
}

static const struct CMUnitTest driver_tests[] = {
    cmocka_unit_test_setup(miniport_clean, setup),
    cmocka_unit_test_setup(filter_clean, setup),
    cmocka_unit_test_setup(short_form_still_works, setup),
    cmocka_unit_test_setup(set_options_failure_fails_the_load, setup),
    cmocka_unit_test_setup(characteristics_wrong_type, setup),
    cmocka_unit_test_setup(characteristics_size_below_revision, setup),
    cmocka_unit_test_setup(characteristics_missing_handler, setup),
    cmocka_unit_test_setup(characteristics_ndis5, setup),
    cmocka_unit_test_setup(filter_missing_attach, setup),
    cmocka_unit_test_setup(driver_entry_registers_nothing, setup),
    cmocka_unit_test_setup(driver_entry_fails_registered, setup),
    cmocka_unit_test_setup(miniport_unload_without_deregister, setup),
    cmocka_unit_test_setup(filter_without_driver_unload, setup),
    cmocka_unit_test_setup(register_above_passive, setup),
    cmocka_unit_test_setup(deregister_twice, setup),
    cmocka_unit_test_setup(register_twice, setup),
    cmocka_unit_test_setup(set_options_registers_no_provider, setup),
};

void wdk_driver_tests(const struct CMUnitTest **tests, size_t *n);
void wdk_driver_tests(const struct CMUnitTest **tests, size_t *n)
{
    *tests = driver_tests;
    *n = sizeof(driver_tests) / sizeof(driver_tests[0]);
}
