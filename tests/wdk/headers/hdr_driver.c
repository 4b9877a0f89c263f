/*
 * hdr_driver.c -- every name of <ndis/driver.h>: strings, NTSTATUS tests, the
 * driver object and its role types, and the NDIS types all driver kinds share.
 * Compiled as C11 and C++17; never run.
 */
#include <ndis.h>

static DRIVER_UNLOAD HdrUnload;
static DRIVER_DISPATCH HdrDispatch;
static DRIVER_STARTIO HdrStartIo;
static MINIPORT_SET_OPTIONS HdrMiniportSetOptions;
static PROTOCOL_SET_OPTIONS HdrProtocolSetOptions;
static FILTER_SET_OPTIONS HdrFilterSetOptions;

static VOID HdrUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
}
static NTSTATUS HdrDispatch(PDEVICE_OBJECT DeviceObject, PIRP Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
    return STATUS_NOT_SUPPORTED;
}
static VOID HdrStartIo(DEVICE_OBJECT *DeviceObject, IRP *Irp)
{
    UNREFERENCED_PARAMETER(DeviceObject);
    UNREFERENCED_PARAMETER(Irp);
}
static NDIS_STATUS HdrMiniportSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    UNREFERENCED_PARAMETER(NdisDriverHandle);
    UNREFERENCED_PARAMETER(DriverContext);
    return NDIS_STATUS_SUCCESS;
}
static NDIS_STATUS HdrProtocolSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    return HdrMiniportSetOptions(NdisDriverHandle, DriverContext);
}
static NDIS_STATUS HdrFilterSetOptions(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext)
{
    return HdrMiniportSetOptions(NdisDriverHandle, DriverContext);
}

int hdr_driver_use(PDRIVER_OBJECT DriverObject, PCWSTR Name);
int hdr_driver_use(PDRIVER_OBJECT DriverObject, PCWSTR Name)
{
    WCHAR buffer[8] = L"x";
    PWCHAR pw = buffer;
    PWCH pwch = buffer;
    PWSTR pws = buffer;
    LPWSTR lpws = buffer;
    PCWCH pcw = buffer;
    LPCWSTR lpcws = Name;
    UNICODE_STRING us = RTL_CONSTANT_STRING(L"\\Driver\\hdr");
    PUNICODE_STRING pus = &us;
    PCUNICODE_STRING pcus = &us;
    NDIS_STRING ns = NDIS_STRING_CONST("*VMQ");
    PNDIS_STRING pns = &ns;
    PCNDIS_STRING pcns = &ns;
    RtlInitUnicodeString(pus, Name);
    NdisInitUnicodeString(pns, lpcws);

    NTSTATUS st = STATUS_SUCCESS;
    BOOLEAN ok = NT_SUCCESS(st) && !NT_INFORMATION(st) && !NT_WARNING(st) && !NT_ERROR(st);

    DRIVER_OBJECT *obj = DriverObject;
    PDRIVER_INITIALIZE init = DriverEntry;
    PDRIVER_UNLOAD unload = HdrUnload;
    PDRIVER_DISPATCH dispatch = HdrDispatch;
    PDRIVER_STARTIO startio = HdrStartIo;
    PDRIVER_EXTENSION ext = obj->DriverExtension;
    DRIVER_EXTENSION *ext2 = ext;
    PFAST_IO_DISPATCH fastio = obj->FastIoDispatch;
    FAST_IO_DISPATCH *fastio2 = fastio;
    obj->Type = IO_TYPE_DRIVER;
    obj->Size = (CSHORT)sizeof(DRIVER_OBJECT);
    obj->DeviceObject = NULL;
    obj->Flags = 0;
    obj->DriverStart = NULL;
    obj->DriverSize = 0;
    obj->DriverSection = NULL;
    obj->DriverName = us;
    obj->HardwareDatabase = pus;
    obj->DriverInit = init;
    obj->DriverStartIo = startio;
    obj->DriverUnload = unload;
    UCHAR majors[] = {IRP_MJ_CREATE,
                      IRP_MJ_CLOSE,
                      IRP_MJ_READ,
                      IRP_MJ_WRITE,
                      IRP_MJ_DEVICE_CONTROL,
                      IRP_MJ_INTERNAL_DEVICE_CONTROL,
                      IRP_MJ_SHUTDOWN,
                      IRP_MJ_CLEANUP,
                      IRP_MJ_POWER,
                      IRP_MJ_SYSTEM_CONTROL,
                      IRP_MJ_PNP};
    for (ULONG i = 0; i < RTL_NUMBER_OF(majors); i++)
        obj->MajorFunction[majors[i]] = dispatch;
    obj->MajorFunction[IRP_MJ_MAXIMUM_FUNCTION] = dispatch;

    NDIS_PORT_NUMBER port = 0;
    PNDIS_PORT_NUMBER pport = &port;
    NET_IFINDEX ifindex = 1;
    PNET_IFINDEX pifindex = &ifindex;
    NET_LUID luid;
    PNET_LUID pluid = &luid;
    NET_LUID_LH luid_lh;
    PNET_LUID_LH pluid_lh = &luid_lh;
    luid.Value = 0;
    luid.Info.Reserved = 0;
    luid.Info.NetLuidIndex = 1;
    luid.Info.IfType = 6;
    luid_lh = luid;
    PNDIS_OID_REQUEST oid = NULL;
    NDIS_OID_REQUEST *oid2 = oid;
    PNDIS_STATUS_INDICATION ind = NULL;
    NDIS_STATUS_INDICATION *ind2 = ind;
    PNET_PNP_EVENT_NOTIFICATION pnp = NULL;
    NET_PNP_EVENT_NOTIFICATION *pnp2 = pnp;
    PNDIS_RESTART_ATTRIBUTES ra = NULL;
    NDIS_RESTART_ATTRIBUTES *ra2 = ra;
    NDIS_STATUS bad[] = {NDIS_STATUS_BAD_VERSION, NDIS_STATUS_BAD_CHARACTERISTICS};
    NDIS_MINIPORT_DRIVER_CONTEXT mdc = NULL;
    NDIS_MINIPORT_DRIVER_HANDLE mdh = NULL;
    NDIS_MINIPORT_ADAPTER_CONTEXT mac = NULL;
    NDIS_MINIPORT_ADAPTER_HANDLE mah = NULL;
    SET_OPTIONS_HANDLER set_options[] = {HdrMiniportSetOptions, HdrProtocolSetOptions,
                                         HdrFilterSetOptions};
    SET_OPTIONS *set_options_fn = HdrMiniportSetOptions;
    NDIS_DEVICE_PNP_EVENT events[] = {
        NdisDevicePnPEventQueryRemoved,      NdisDevicePnPEventRemoved,
        NdisDevicePnPEventSurpriseRemoved,   NdisDevicePnPEventQueryStopped,
        NdisDevicePnPEventStopped,           NdisDevicePnPEventPowerProfileChanged,
        NdisDevicePnPEventFilterListChanged, NdisDevicePnPEventMaximum};
    PNDIS_DEVICE_PNP_EVENT pevent = &events[0];
    NET_DEVICE_PNP_EVENT dev_event;
    PNET_DEVICE_PNP_EVENT pdev_event = &dev_event;
    dev_event.Header.Type = NDIS_OBJECT_TYPE_DEFAULT;
    dev_event.Header.Revision = NET_DEVICE_PNP_EVENT_REVISION_1;
    dev_event.Header.Size = NDIS_SIZEOF_NET_DEVICE_PNP_EVENT_REVISION_1;
    dev_event.PortNumber = *pport;
    dev_event.DevicePnPEvent = *pevent;
    dev_event.InformationBuffer = NULL;
    dev_event.InformationBufferLength = 0;
    dev_event.NdisReserved[0] = 0;

    (void)pw;
    (void)pwch;
    (void)pws;
    (void)lpws;
    (void)pcw;
    (void)pcus;
    (void)pcns;
    (void)ok;
    (void)ext2;
    (void)fastio2;
    (void)pifindex;
    (void)pluid;
    (void)pluid_lh;
    (void)oid2;
    (void)ind2;
    (void)pnp2;
    (void)ra2;
    (void)bad;
    (void)mdc;
    (void)mdh;
    (void)mac;
    (void)mah;
    (void)set_options;
    (void)pdev_event;
    return set_options_fn(NULL, NULL);
}
