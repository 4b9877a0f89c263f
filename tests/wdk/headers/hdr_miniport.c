/*
 * hdr_miniport.c -- every name of <ndis/miniport.h>: a miniport's handlers
 * declared with their role types, the whole NDIS_MINIPORT_DRIVER_CHARACTERISTICS
 * filled in, the parameter structures, versions and registration routines.
 * Compiled as C11 and C++17; never run.
 */
#define NDIS630_MINIPORT 1
#include <ndis.h>

static MINIPORT_INITIALIZE HdrInitialize;
static MINIPORT_HALT HdrHalt;
static MINIPORT_UNLOAD HdrUnload;
static MINIPORT_PAUSE HdrPause;
static MINIPORT_RESTART HdrRestart;
static MINIPORT_OID_REQUEST HdrOidRequest;
static MINIPORT_SEND_NET_BUFFER_LISTS HdrSend;
static MINIPORT_RETURN_NET_BUFFER_LISTS HdrReturn;
static MINIPORT_CANCEL_SEND HdrCancelSend;
static MINIPORT_CHECK_FOR_HANG HdrCheckForHang;
static MINIPORT_RESET HdrReset;
static MINIPORT_DEVICE_PNP_EVENT_NOTIFY HdrPnp;
static MINIPORT_SHUTDOWN HdrShutdown;
static MINIPORT_CANCEL_OID_REQUEST HdrCancelOid;
static MINIPORT_DIRECT_OID_REQUEST HdrDirectOid;
static MINIPORT_CANCEL_DIRECT_OID_REQUEST HdrCancelDirectOid;
static MINIPORT_SYNCHRONOUS_OID_REQUEST HdrSynchronousOid;

static NDIS_STATUS HdrInitialize(NDIS_HANDLE NdisMiniportHandle, NDIS_HANDLE MiniportDriverContext,
                                 PNDIS_MINIPORT_INIT_PARAMETERS P)
{
    NDIS_MINIPORT_INIT_PARAMETERS copy = *P;
    PNDIS_RESOURCE_LIST res = copy.AllocatedResources;
    NDIS_RESOURCE_LIST *res2 = res;
    PNDIS_PORT_AUTHENTICATION_PARAMETERS auth = copy.DefaultPortAuthStates;
    NDIS_PORT_AUTHENTICATION_PARAMETERS *auth2 = auth;
    PNDIS_PCI_DEVICE_CUSTOM_PROPERTIES pci = copy.PciDeviceCustomProperties;
    NDIS_PCI_DEVICE_CUSTOM_PROPERTIES *pci2 = pci;
    UNREFERENCED_PARAMETER(NdisMiniportHandle);
    UNREFERENCED_PARAMETER(MiniportDriverContext);
    (void)res2;
    (void)auth2;
    (void)pci2;
    return copy.Header.Type == NDIS_OBJECT_TYPE_MINIPORT_INIT_PARAMETERS &&
                   copy.Header.Revision == NDIS_MINIPORT_INIT_PARAMETERS_REVISION_1 &&
                   copy.Header.Size >= NDIS_SIZEOF_MINIPORT_INIT_PARAMETER_REVISION_1 &&
                   copy.Flags == 0 && copy.IMDeviceInstanceContext == NULL &&
                   copy.MiniportAddDeviceContext == NULL && copy.IfIndex != 0 &&
                   copy.NetLuid.Value != 0
               ? NDIS_STATUS_SUCCESS
               : NDIS_STATUS_FAILURE;
}
static VOID HdrHalt(NDIS_HANDLE Context, NDIS_HALT_ACTION Action)
{
    NDIS_HALT_ACTION actions[] = {NdisHaltDeviceDisabled,    NdisHaltDeviceInstanceDeInitialized,
                                  NdisHaltDevicePoweredDown, NdisHaltDeviceSurpriseRemoved,
                                  NdisHaltDeviceFailed,      NdisHaltDeviceInitializationFailed,
                                  NdisHaltDeviceStopped};
    PNDIS_HALT_ACTION pa = &actions[0];
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Action);
    (void)pa;
}
static VOID HdrUnload(PDRIVER_OBJECT DriverObject)
{
    UNREFERENCED_PARAMETER(DriverObject);
    NdisMDeregisterMiniportDriver(NULL);
}
static NDIS_STATUS HdrPause(NDIS_HANDLE Context, PNDIS_MINIPORT_PAUSE_PARAMETERS P)
{
    UNREFERENCED_PARAMETER(Context);
    return P->Header.Revision == NDIS_MINIPORT_PAUSE_PARAMETERS_REVISION_1 &&
                   P->Header.Size >= NDIS_SIZEOF_MINIPORT_PAUSE_PARAMETERS_REVISION_1 &&
                   P->Flags == 0 && P->PauseReason == 0
               ? NDIS_STATUS_SUCCESS
               : NDIS_STATUS_PENDING;
}
static NDIS_STATUS HdrRestart(NDIS_HANDLE Context, PNDIS_MINIPORT_RESTART_PARAMETERS P)
{
    UNREFERENCED_PARAMETER(Context);
    return P->Header.Revision == NDIS_MINIPORT_RESTART_PARAMETERS_REVISION_1 &&
                   P->Header.Size >= NDIS_SIZEOF_MINIPORT_RESTART_PARAMETERS_REVISION_1 &&
                   P->RestartAttributes == NULL && P->Flags == 0
               ? NDIS_STATUS_SUCCESS
               : NDIS_STATUS_PENDING;
}
static NDIS_STATUS HdrOidRequest(NDIS_HANDLE Context, PNDIS_OID_REQUEST OidRequest)
{
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(OidRequest);
    return NDIS_STATUS_NOT_SUPPORTED;
}
static VOID HdrSend(NDIS_HANDLE Context, PNET_BUFFER_LIST Nbl, NDIS_PORT_NUMBER Port, ULONG Flags)
{
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Nbl);
    UNREFERENCED_PARAMETER(Port);
    UNREFERENCED_PARAMETER(Flags);
}
static VOID HdrReturn(NDIS_HANDLE Context, PNET_BUFFER_LIST Nbl, ULONG Flags)
{
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Nbl);
    UNREFERENCED_PARAMETER(Flags);
}
static VOID HdrCancelSend(NDIS_HANDLE Context, PVOID CancelId)
{
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(CancelId);
}
static BOOLEAN HdrCheckForHang(NDIS_HANDLE Context)
{
    UNREFERENCED_PARAMETER(Context);
    return FALSE;
}
static NDIS_STATUS HdrReset(NDIS_HANDLE Context, PBOOLEAN AddressingReset)
{
    UNREFERENCED_PARAMETER(Context);
    *AddressingReset = FALSE;
    return NDIS_STATUS_SUCCESS;
}
static VOID HdrPnp(NDIS_HANDLE Context, PNET_DEVICE_PNP_EVENT Event)
{
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(Event);
}
static VOID HdrShutdown(NDIS_HANDLE Context, NDIS_SHUTDOWN_ACTION Action)
{
    NDIS_SHUTDOWN_ACTION actions[] = {NdisShutdownPowerOff, NdisShutdownBugCheck};
    PNDIS_SHUTDOWN_ACTION as_in_the_wdk = Action; /* the WDK's typedef is no pointer */
    UNREFERENCED_PARAMETER(Context);
    (void)actions;
    (void)as_in_the_wdk;
}
static VOID HdrCancelOid(NDIS_HANDLE Context, PVOID RequestId)
{
    UNREFERENCED_PARAMETER(Context);
    UNREFERENCED_PARAMETER(RequestId);
}
static NDIS_STATUS HdrDirectOid(NDIS_HANDLE Context, PNDIS_OID_REQUEST OidRequest)
{
    return HdrOidRequest(Context, OidRequest);
}
static VOID HdrCancelDirectOid(NDIS_HANDLE Context, PVOID RequestId)
{
    HdrCancelOid(Context, RequestId);
}
static NDIS_STATUS HdrSynchronousOid(NDIS_HANDLE Context, NDIS_OID_REQUEST *OidRequest)
{
    return HdrOidRequest(Context, OidRequest);
}

int hdr_miniport_use(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath);
int hdr_miniport_use(PDRIVER_OBJECT DriverObject, PUNICODE_STRING RegistryPath)
{
    NDIS_MINIPORT_DRIVER_CHARACTERISTICS chars;
    PNDIS_MINIPORT_DRIVER_CHARACTERISTICS pchars = &chars;
    NDIS_HANDLE handle = NULL;
    SHMF_STATIC_ASSERT(NDIS_MINIPORT_MAJOR_VERSION == 6 && NDIS_MINIPORT_MINOR_VERSION == 30,
                       "NDIS630_MINIPORT");
    SHMF_STATIC_ASSERT(NDIS_SUPPORT_NDIS6 && NDIS_SUPPORT_NDIS61 && NDIS_SUPPORT_NDIS620 &&
                           NDIS_SUPPORT_NDIS630,
                       "NDIS_SUPPORT_*");
    NdisZeroMemory(pchars, sizeof(chars));
    chars.Header.Type = NDIS_OBJECT_TYPE_MINIPORT_DRIVER_CHARACTERISTICS;
    chars.Header.Revision = NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3;
    chars.Header.Size = NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_3;
    UCHAR revisions[] = {NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1,
                         NDIS_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2};
    USHORT sizes[] = {NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_1,
                      NDIS_SIZEOF_MINIPORT_DRIVER_CHARACTERISTICS_REVISION_2};
    chars.MajorNdisVersion = NDIS_MINIPORT_MAJOR_VERSION;
    chars.MinorNdisVersion = NDIS_MINIPORT_MINOR_VERSION;
    chars.MajorDriverVersion = 1;
    chars.MinorDriverVersion = 0;
    chars.Flags = NDIS_WDM_DRIVER & ~(NDIS_INTERMEDIATE_DRIVER | NDIS_DRIVER_FLAGS_RESERVED);
    chars.SetOptionsHandler = NULL;
    chars.InitializeHandlerEx = HdrInitialize;
    chars.HaltHandlerEx = HdrHalt;
    chars.UnloadHandler = HdrUnload;
    chars.PauseHandler = HdrPause;
    chars.RestartHandler = HdrRestart;
    chars.OidRequestHandler = HdrOidRequest;
    chars.SendNetBufferListsHandler = HdrSend;
    chars.ReturnNetBufferListsHandler = HdrReturn;
    chars.CancelSendHandler = HdrCancelSend;
    chars.CheckForHangHandlerEx = HdrCheckForHang;
    chars.ResetHandlerEx = HdrReset;
    chars.DevicePnPEventNotifyHandler = HdrPnp;
    chars.ShutdownHandlerEx = HdrShutdown;
    chars.CancelOidRequestHandler = HdrCancelOid;
    chars.DirectOidRequestHandler = HdrDirectOid;
    chars.CancelDirectOidRequestHandler = HdrCancelDirectOid;
    chars.SynchronousOidRequestHandler = HdrSynchronousOid;

    /* The pointer types by name. */
    MINIPORT_INITIALIZE_HANDLER h1 = chars.InitializeHandlerEx;
    MINIPORT_HALT_HANDLER h2 = chars.HaltHandlerEx;
    MINIPORT_DRIVER_UNLOAD h3 = chars.UnloadHandler;
    MINIPORT_PAUSE_HANDLER h4 = chars.PauseHandler;
    MINIPORT_RESTART_HANDLER h5 = chars.RestartHandler;
    MINIPORT_OID_REQUEST_HANDLER h6 = chars.OidRequestHandler;
    MINIPORT_SEND_NET_BUFFER_LISTS_HANDLER h7 = chars.SendNetBufferListsHandler;
    MINIPORT_RETURN_NET_BUFFER_LISTS_HANDLER h8 = chars.ReturnNetBufferListsHandler;
    MINIPORT_CANCEL_SEND_HANDLER h9 = chars.CancelSendHandler;
    MINIPORT_CHECK_FOR_HANG_HANDLER h10 = chars.CheckForHangHandlerEx;
    MINIPORT_RESET_HANDLER h11 = chars.ResetHandlerEx;
    MINIPORT_DEVICE_PNP_EVENT_NOTIFY_HANDLER h12 = chars.DevicePnPEventNotifyHandler;
    MINIPORT_SHUTDOWN_HANDLER h13 = chars.ShutdownHandlerEx;
    MINIPORT_CANCEL_OID_REQUEST_HANDLER h14 = chars.CancelOidRequestHandler;
    MINIPORT_DIRECT_OID_REQUEST_HANDLER h15 = chars.DirectOidRequestHandler;
    MINIPORT_CANCEL_DIRECT_OID_REQUEST_HANDLER h16 = chars.CancelDirectOidRequestHandler;
    MINIPORT_SYNCHRONOUS_OID_REQUEST_HANDLER h17 = chars.SynchronousOidRequestHandler;

    NDIS_MINIPORT_PAUSE_PARAMETERS pause;
    PNDIS_MINIPORT_PAUSE_PARAMETERS ppause = &pause;
    NDIS_MINIPORT_RESTART_PARAMETERS restart;
    PNDIS_MINIPORT_RESTART_PARAMETERS prestart = &restart;
    NDIS_MINIPORT_INIT_PARAMETERS init;
    PNDIS_MINIPORT_INIT_PARAMETERS pinit = &init;
    NdisZeroMemory(ppause, sizeof(pause));
    NdisZeroMemory(prestart, sizeof(restart));
    NdisZeroMemory(pinit, sizeof(init));

    NDIS_STATUS st = NdisMRegisterMiniportDriver(DriverObject, RegistryPath, NULL, pchars, &handle);
    (void)revisions;
    (void)sizes;
    (void)h1;
    (void)h2;
    (void)h3;
    (void)h4;
    (void)h5;
    (void)h6;
    (void)h7;
    (void)h8;
    (void)h9;
    (void)h10;
    (void)h11;
    (void)h12;
    (void)h13;
    (void)h14;
    (void)h15;
    (void)h16;
    (void)h17;
    return st + HdrPause(NULL, ppause) + HdrRestart(NULL, prestart) +
           HdrInitialize(NULL, NULL, pinit);
}
