/*
 * hdr_filter.c -- every name of <ndis/filter.h>: a filter's handlers declared
 * with their role types, the whole NDIS_FILTER_DRIVER_CHARACTERISTICS filled
 * in, versions, flags and registration routines.
 * Compiled as C11 and C++17; never run.
 */
#define NDIS630 1
#include <ndis.h>

static FILTER_SET_MODULE_OPTIONS HdrSetModuleOptions;
static FILTER_ATTACH HdrAttach;
static FILTER_DETACH HdrDetach;
static FILTER_RESTART HdrRestart;
static FILTER_PAUSE HdrPause;
static FILTER_SEND_NET_BUFFER_LISTS HdrSend;
static FILTER_SEND_NET_BUFFER_LISTS_COMPLETE HdrSendComplete;
static FILTER_CANCEL_SEND_NET_BUFFER_LISTS HdrCancelSend;
static FILTER_RECEIVE_NET_BUFFER_LISTS HdrReceive;
static FILTER_RETURN_NET_BUFFER_LISTS HdrReturn;
static FILTER_OID_REQUEST HdrOid;
static FILTER_OID_REQUEST_COMPLETE HdrOidComplete;
static FILTER_CANCEL_OID_REQUEST HdrCancelOid;
static FILTER_DEVICE_PNP_EVENT_NOTIFY HdrDevicePnp;
static FILTER_NET_PNP_EVENT HdrNetPnp;
static FILTER_STATUS HdrStatus;
static FILTER_DIRECT_OID_REQUEST HdrDirectOid;
static FILTER_DIRECT_OID_REQUEST_COMPLETE HdrDirectOidComplete;
static FILTER_CANCEL_DIRECT_OID_REQUEST HdrCancelDirectOid;
static FILTER_SYNCHRONOUS_OID_REQUEST HdrSyncOid;
static FILTER_SYNCHRONOUS_OID_REQUEST_COMPLETE HdrSyncOidComplete;

static NDIS_STATUS HdrSetModuleOptions(NDIS_HANDLE Module)
{
    UNREFERENCED_PARAMETER(Module);
    return NDIS_STATUS_SUCCESS;
}
static NDIS_STATUS HdrAttach(NDIS_HANDLE NdisFilterHandle, NDIS_HANDLE FilterDriverContext,
                             PNDIS_FILTER_ATTACH_PARAMETERS AttachParameters)
{
    NDIS_FILTER_ATTACH_PARAMETERS *p = AttachParameters;
    UNREFERENCED_PARAMETER(NdisFilterHandle);
    UNREFERENCED_PARAMETER(FilterDriverContext);
    return p ? NDIS_STATUS_SUCCESS : NDIS_STATUS_FAILURE;
}
static VOID HdrDetach(NDIS_HANDLE Module)
{
    UNREFERENCED_PARAMETER(Module);
}
static NDIS_STATUS HdrRestart(NDIS_HANDLE Module, PNDIS_FILTER_RESTART_PARAMETERS P)
{
    NDIS_FILTER_RESTART_PARAMETERS *p = P;
    UNREFERENCED_PARAMETER(Module);
    return p ? NDIS_STATUS_SUCCESS : NDIS_STATUS_FAILURE;
}
static NDIS_STATUS HdrPause(NDIS_HANDLE Module, PNDIS_FILTER_PAUSE_PARAMETERS P)
{
    UNREFERENCED_PARAMETER(Module);
    return P->Header.Revision == NDIS_FILTER_PAUSE_PARAMETERS_REVISION_1 &&
                   P->Header.Size >= NDIS_SIZEOF_FILTER_PAUSE_PARAMETERS_REVISION_1 &&
                   P->Flags == 0 && P->PauseReason == 0
               ? NDIS_STATUS_SUCCESS
               : NDIS_STATUS_PENDING;
}
static VOID HdrSend(NDIS_HANDLE Module, PNET_BUFFER_LIST Nbl, NDIS_PORT_NUMBER Port, ULONG Flags)
{
    UNREFERENCED_PARAMETER(Module);
    UNREFERENCED_PARAMETER(Nbl);
    UNREFERENCED_PARAMETER(Port);
    UNREFERENCED_PARAMETER(Flags);
}
static VOID HdrSendComplete(NDIS_HANDLE Module, PNET_BUFFER_LIST Nbl, ULONG Flags)
{
    UNREFERENCED_PARAMETER(Module);
    UNREFERENCED_PARAMETER(Nbl);
    UNREFERENCED_PARAMETER(Flags);
}
static VOID HdrCancelSend(NDIS_HANDLE Module, PVOID CancelId)
{
    UNREFERENCED_PARAMETER(Module);
    UNREFERENCED_PARAMETER(CancelId);
}
static VOID HdrReceive(NDIS_HANDLE Module, PNET_BUFFER_LIST Nbl, NDIS_PORT_NUMBER Port, ULONG Count,
                       ULONG Flags)
{
    UNREFERENCED_PARAMETER(Module);
    UNREFERENCED_PARAMETER(Nbl);
    UNREFERENCED_PARAMETER(Port);
    UNREFERENCED_PARAMETER(Count);
    UNREFERENCED_PARAMETER(Flags);
}
static VOID HdrReturn(NDIS_HANDLE Module, PNET_BUFFER_LIST Nbl, ULONG Flags)
{
    HdrSendComplete(Module, Nbl, Flags);
}
static NDIS_STATUS HdrOid(NDIS_HANDLE Module, PNDIS_OID_REQUEST Request)
{
    UNREFERENCED_PARAMETER(Module);
    UNREFERENCED_PARAMETER(Request);
    return NDIS_STATUS_NOT_SUPPORTED;
}
static VOID HdrOidComplete(NDIS_HANDLE Module, PNDIS_OID_REQUEST Request, NDIS_STATUS Status)
{
    UNREFERENCED_PARAMETER(Module);
    UNREFERENCED_PARAMETER(Request);
    UNREFERENCED_PARAMETER(Status);
}
static VOID HdrCancelOid(NDIS_HANDLE Module, PVOID RequestId)
{
    HdrCancelSend(Module, RequestId);
}
static VOID HdrDevicePnp(NDIS_HANDLE Module, PNET_DEVICE_PNP_EVENT Event)
{
    UNREFERENCED_PARAMETER(Module);
    UNREFERENCED_PARAMETER(Event);
}
static NDIS_STATUS HdrNetPnp(NDIS_HANDLE Module, PNET_PNP_EVENT_NOTIFICATION Event)
{
    UNREFERENCED_PARAMETER(Module);
    UNREFERENCED_PARAMETER(Event);
    return NDIS_STATUS_SUCCESS;
}
static VOID HdrStatus(NDIS_HANDLE Module, PNDIS_STATUS_INDICATION Indication)
{
    UNREFERENCED_PARAMETER(Module);
    UNREFERENCED_PARAMETER(Indication);
}
static NDIS_STATUS HdrDirectOid(NDIS_HANDLE Module, PNDIS_OID_REQUEST Request)
{
    return HdrOid(Module, Request);
}
static VOID HdrDirectOidComplete(NDIS_HANDLE Module, PNDIS_OID_REQUEST Request, NDIS_STATUS Status)
{
    HdrOidComplete(Module, Request, Status);
}
static VOID HdrCancelDirectOid(NDIS_HANDLE Module, PVOID RequestId)
{
    HdrCancelSend(Module, RequestId);
}
static NDIS_STATUS HdrSyncOid(NDIS_HANDLE Module, NDIS_OID_REQUEST *Request, PVOID *CallContext)
{
    *CallContext = NULL;
    return HdrOid(Module, Request);
}
static VOID HdrSyncOidComplete(NDIS_HANDLE Module, NDIS_OID_REQUEST *Request, NDIS_STATUS *Status,
                               PVOID CallContext)
{
    UNREFERENCED_PARAMETER(CallContext);
    HdrOidComplete(Module, Request, *Status);
}

int hdr_filter_use(PDRIVER_OBJECT DriverObject);
int hdr_filter_use(PDRIVER_OBJECT DriverObject)
{
    NDIS_FILTER_DRIVER_CHARACTERISTICS chars;
    PNDIS_FILTER_DRIVER_CHARACTERISTICS pchars = &chars;
    NDIS_STRING name = NDIS_STRING_CONST("HdrFilter");
    NDIS_HANDLE handle = NULL;
    SHMF_STATIC_ASSERT(NDIS_FILTER_MAJOR_VERSION == 6 && NDIS_FILTER_MINOR_VERSION == 30,
                       "NDIS630");
    NdisZeroMemory(pchars, sizeof(chars));
    chars.Header.Type = NDIS_OBJECT_TYPE_FILTER_DRIVER_CHARACTERISTICS;
    chars.Header.Revision = NDIS_FILTER_CHARACTERISTICS_REVISION_3;
    chars.Header.Size = NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_3;
    UCHAR revisions[] = {NDIS_FILTER_CHARACTERISTICS_REVISION_1,
                         NDIS_FILTER_CHARACTERISTICS_REVISION_2};
    USHORT sizes[] = {NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_1,
                      NDIS_SIZEOF_FILTER_DRIVER_CHARACTERISTICS_REVISION_2};
    chars.MajorNdisVersion = NDIS_FILTER_MAJOR_VERSION;
    chars.MinorNdisVersion = NDIS_FILTER_MINOR_VERSION;
    chars.MajorDriverVersion = 1;
    chars.MinorDriverVersion = 0;
    chars.Flags = NDIS_FILTER_DRIVER_MANDATORY |
                  NDIS_FILTER_DRIVER_SUPPORTS_CURRENT_MAC_ADDRESS_CHANGE |
                  NDIS_FILTER_DRIVER_SUPPORTS_L2_MTU_SIZE_CHANGE;
    chars.FriendlyName = name;
    chars.UniqueName = name;
    chars.ServiceName = name;
    chars.SetOptionsHandler = NULL;
    chars.SetFilterModuleOptionsHandler = HdrSetModuleOptions;
    chars.AttachHandler = HdrAttach;
    chars.DetachHandler = HdrDetach;
    chars.RestartHandler = HdrRestart;
    chars.PauseHandler = HdrPause;
    chars.SendNetBufferListsHandler = HdrSend;
    chars.SendNetBufferListsCompleteHandler = HdrSendComplete;
    chars.CancelSendNetBufferListsHandler = HdrCancelSend;
    chars.ReceiveNetBufferListsHandler = HdrReceive;
    chars.ReturnNetBufferListsHandler = HdrReturn;
    chars.OidRequestHandler = HdrOid;
    chars.OidRequestCompleteHandler = HdrOidComplete;
    chars.CancelOidRequestHandler = HdrCancelOid;
    chars.DevicePnPEventNotifyHandler = HdrDevicePnp;
    chars.NetPnPEventHandler = HdrNetPnp;
    chars.StatusHandler = HdrStatus;
    chars.DirectOidRequestHandler = HdrDirectOid;
    chars.DirectOidRequestCompleteHandler = HdrDirectOidComplete;
    chars.CancelDirectOidRequestHandler = HdrCancelDirectOid;
    chars.SynchronousOidRequestHandler = HdrSyncOid;
    chars.SynchronousOidRequestCompleteHandler = HdrSyncOidComplete;

    /* The pointer types by name. */
    FILTER_SET_FILTER_MODULE_OPTIONS_HANDLER h1 = chars.SetFilterModuleOptionsHandler;
    FILTER_ATTACH_HANDLER h2 = chars.AttachHandler;
    FILTER_DETACH_HANDLER h3 = chars.DetachHandler;
    FILTER_RESTART_HANDLER h4 = chars.RestartHandler;
    FILTER_PAUSE_HANDLER h5 = chars.PauseHandler;
    FILTER_SEND_NET_BUFFER_LISTS_HANDLER h6 = chars.SendNetBufferListsHandler;
    FILTER_SEND_NET_BUFFER_LISTS_COMPLETE_HANDLER h7 = chars.SendNetBufferListsCompleteHandler;
    FILTER_CANCEL_SEND_HANDLER h8 = chars.CancelSendNetBufferListsHandler;
    FILTER_RECEIVE_NET_BUFFER_LISTS_HANDLER h9 = chars.ReceiveNetBufferListsHandler;
    FILTER_RETURN_NET_BUFFER_LISTS_HANDLER h10 = chars.ReturnNetBufferListsHandler;
    FILTER_OID_REQUEST_HANDLER h11 = chars.OidRequestHandler;
    FILTER_OID_REQUEST_COMPLETE_HANDLER h12 = chars.OidRequestCompleteHandler;
    FILTER_CANCEL_OID_REQUEST_HANDLER h13 = chars.CancelOidRequestHandler;
    FILTER_DEVICE_PNP_EVENT_NOTIFY_HANDLER h14 = chars.DevicePnPEventNotifyHandler;
    FILTER_NET_PNP_EVENT_HANDLER h15 = chars.NetPnPEventHandler;
    FILTER_STATUS_HANDLER h16 = chars.StatusHandler;
    FILTER_DIRECT_OID_REQUEST_HANDLER h17 = chars.DirectOidRequestHandler;
    FILTER_DIRECT_OID_REQUEST_COMPLETE_HANDLER h18 = chars.DirectOidRequestCompleteHandler;
    FILTER_CANCEL_DIRECT_OID_REQUEST_HANDLER h19 = chars.CancelDirectOidRequestHandler;
    FILTER_SYNCHRONOUS_OID_REQUEST_HANDLER h20 = chars.SynchronousOidRequestHandler;
    FILTER_SYNCHRONOUS_OID_REQUEST_COMPLETE_HANDLER h21 =
        chars.SynchronousOidRequestCompleteHandler;

    NDIS_FILTER_PAUSE_PARAMETERS pause;
    PNDIS_FILTER_PAUSE_PARAMETERS ppause = &pause;
    NdisZeroMemory(ppause, sizeof(pause));

    NDIS_STATUS st = NdisFRegisterFilterDriver(DriverObject, NULL, pchars, &handle);
    NdisFDeregisterFilterDriver(handle);
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
    (void)h18;
    (void)h19;
    (void)h20;
    (void)h21;
    return st + HdrPause(NULL, ppause);
}
