/*
 * ndis/driver.h -- what DriverEntry sees (the WDK's wdm.h / ntdef.h subset):
 * UNICODE_STRING, DRIVER_OBJECT, the DRIVER_INITIALIZE / DRIVER_UNLOAD role
 * types, NTSTATUS tests; and the NDIS types every NDIS driver kind shares
 * (NDIS_STRING, SET_OPTIONS, the opaque request and indication structures).
 * Part of <ndis.h>; include that, not this file.
 *
 * Differences from the WDK, layout-neutral on x64: WCHAR is the host's wchar_t
 * (4 bytes on Linux), so L"..." literals keep working in UNICODE_STRING and
 * Length / MaximumLength count those 4-byte units' bytes; DEVICE_OBJECT, IRP,
 * DRIVER_EXTENSION and FAST_IO_DISPATCH are declared, not defined (shmfuzz
 * creates no devices and sends no IRPs).
 */
/* Included alone, this file first includes <ndis.h>, which includes it in its
   place among the other parts. */
#ifndef SHMF_NDIS_DRIVER_H
#include <ndis.h>
#endif
#ifndef SHMF_NDIS_DRIVER_H
#define SHMF_NDIS_DRIVER_H

SHMF_EXTERN_C_START

/* === Strings === */
typedef wchar_t WCHAR, *PWCHAR, *PWCH, *PWSTR, *LPWSTR;
typedef const WCHAR *PCWCH, *PCWSTR, *LPCWSTR;

typedef struct _UNICODE_STRING {
    USHORT Length;        /* bytes, without a terminator */
    USHORT MaximumLength; /* bytes of Buffer */
    PWCH Buffer;
} UNICODE_STRING, *PUNICODE_STRING;
typedef const UNICODE_STRING *PCUNICODE_STRING;

#define RTL_CONSTANT_STRING(s)                                                                     \
    {                                                                                              \
        (USHORT)(sizeof(s) - sizeof((s)[0])), (USHORT)sizeof(s), (PWCH)(s)                         \
    }

/* <= DISPATCH_LEVEL for a nonpaged Source; points Destination at Source. */
FORCEINLINE VOID RtlInitUnicodeString(PUNICODE_STRING DestinationString, PCWSTR SourceString)
{
    SIZE_T n = SourceString ? wcslen(SourceString) * sizeof(WCHAR) : 0;
    if (n > 0xfffc)
        n = 0xfffc;
    DestinationString->Length = (USHORT)n;
    DestinationString->MaximumLength = (USHORT)(SourceString ? n + sizeof(WCHAR) : 0);
    DestinationString->Buffer = (PWCH)SourceString;
}

typedef UNICODE_STRING NDIS_STRING, *PNDIS_STRING;
typedef PCUNICODE_STRING PCNDIS_STRING;
#define NDIS_STRING_CONST(x) RTL_CONSTANT_STRING(L##x)
#define NdisInitUnicodeString(Destination, Source) RtlInitUnicodeString((Destination), (Source))

/* === NTSTATUS === */
#define NT_SUCCESS(Status) (((NTSTATUS)(Status)) >= 0)
#define NT_INFORMATION(Status) ((((ULONG)(Status)) >> 30) == 1)
#define NT_WARNING(Status) ((((ULONG)(Status)) >> 30) == 2)
#define NT_ERROR(Status) ((((ULONG)(Status)) >> 30) == 3)

/* === Driver object and its role types === */
typedef struct _DEVICE_OBJECT DEVICE_OBJECT, *PDEVICE_OBJECT;
typedef struct _IRP IRP, *PIRP;
typedef struct _DRIVER_EXTENSION DRIVER_EXTENSION, *PDRIVER_EXTENSION;
typedef struct _FAST_IO_DISPATCH FAST_IO_DISPATCH, *PFAST_IO_DISPATCH;
struct _DRIVER_OBJECT;

typedef NTSTATUS DRIVER_INITIALIZE(struct _DRIVER_OBJECT *DriverObject,
                                   PUNICODE_STRING RegistryPath);
typedef DRIVER_INITIALIZE *PDRIVER_INITIALIZE;
typedef VOID DRIVER_UNLOAD(struct _DRIVER_OBJECT *DriverObject);
typedef DRIVER_UNLOAD *PDRIVER_UNLOAD;
typedef NTSTATUS DRIVER_DISPATCH(struct _DEVICE_OBJECT *DeviceObject, struct _IRP *Irp);
typedef DRIVER_DISPATCH *PDRIVER_DISPATCH;
typedef VOID DRIVER_STARTIO(struct _DEVICE_OBJECT *DeviceObject, struct _IRP *Irp);
typedef DRIVER_STARTIO *PDRIVER_STARTIO;

#define IRP_MJ_CREATE 0x00
#define IRP_MJ_CLOSE 0x02
#define IRP_MJ_READ 0x03
#define IRP_MJ_WRITE 0x04
#define IRP_MJ_DEVICE_CONTROL 0x0e
#define IRP_MJ_INTERNAL_DEVICE_CONTROL 0x0f
#define IRP_MJ_SHUTDOWN 0x10
#define IRP_MJ_CLEANUP 0x12
#define IRP_MJ_POWER 0x16
#define IRP_MJ_SYSTEM_CONTROL 0x17
#define IRP_MJ_PNP 0x1b
#define IRP_MJ_MAXIMUM_FUNCTION 0x1b
#define IO_TYPE_DRIVER 0x00000004

typedef struct _DRIVER_OBJECT {
    CSHORT Type; /* IO_TYPE_DRIVER */
    CSHORT Size; /* sizeof(DRIVER_OBJECT) */
    PDEVICE_OBJECT DeviceObject;
    ULONG Flags;
    PVOID DriverStart;
    ULONG DriverSize;
    PVOID DriverSection;
    PDRIVER_EXTENSION DriverExtension;
    UNICODE_STRING DriverName;
    PUNICODE_STRING HardwareDatabase;
    PFAST_IO_DISPATCH FastIoDispatch;
    PDRIVER_INITIALIZE DriverInit;
    PDRIVER_STARTIO DriverStartIo;
    /* Called when the driver unloads.  NdisMRegisterMiniportDriver sets it to
       NDIS's routine, which calls the miniport's MiniportDriverUnload; a filter
       driver sets it itself. */
    PDRIVER_UNLOAD DriverUnload;
    PDRIVER_DISPATCH MajorFunction[IRP_MJ_MAXIMUM_FUNCTION + 1];
} DRIVER_OBJECT, *PDRIVER_OBJECT;

/* === NDIS types shared by miniport, filter and protocol drivers === */
typedef ULONG NDIS_PORT_NUMBER, *PNDIS_PORT_NUMBER;
typedef ULONG NET_IFINDEX, *PNET_IFINDEX;
typedef union _NET_LUID_LH {
    ULONG64 Value;
    struct {
        ULONG64 Reserved : 24;
        ULONG64 NetLuidIndex : 24;
        ULONG64 IfType : 16;
    } Info;
} NET_LUID_LH, *PNET_LUID_LH;
typedef NET_LUID_LH NET_LUID, *PNET_LUID;

/* Declared, not defined: shmfuzz calls no handler that takes them. */
typedef struct _NDIS_OID_REQUEST NDIS_OID_REQUEST, *PNDIS_OID_REQUEST;
typedef struct _NDIS_STATUS_INDICATION NDIS_STATUS_INDICATION, *PNDIS_STATUS_INDICATION;
typedef struct _NET_PNP_EVENT_NOTIFICATION NET_PNP_EVENT_NOTIFICATION, *PNET_PNP_EVENT_NOTIFICATION;
typedef struct _NDIS_RESTART_ATTRIBUTES NDIS_RESTART_ATTRIBUTES, *PNDIS_RESTART_ATTRIBUTES;

#define NDIS_STATUS_BAD_VERSION ((NDIS_STATUS)0xC0010004L)
#define NDIS_STATUS_BAD_CHARACTERISTICS ((NDIS_STATUS)0xC0010005L)

/* Opaque driver handles (DECLARE_NDIS_HANDLE without NDIS_STRICT). */
typedef PVOID NDIS_MINIPORT_DRIVER_CONTEXT;
typedef PVOID NDIS_MINIPORT_DRIVER_HANDLE;
typedef PVOID NDIS_MINIPORT_ADAPTER_CONTEXT;
typedef PVOID NDIS_MINIPORT_ADAPTER_HANDLE;

/* NDIS calls a driver's SetOptions handler from inside its registration call
   (NdisMRegisterMiniportDriver, NdisFRegisterFilterDriver), at PASSIVE_LEVEL;
   that is where a provider calls NdisSetOptionalHandlers. */
typedef NDIS_STATUS(SET_OPTIONS)(NDIS_HANDLE NdisDriverHandle, NDIS_HANDLE DriverContext);
typedef SET_OPTIONS(*SET_OPTIONS_HANDLER);
typedef SET_OPTIONS(MINIPORT_SET_OPTIONS);
typedef SET_OPTIONS(PROTOCOL_SET_OPTIONS);
typedef SET_OPTIONS(FILTER_SET_OPTIONS);

typedef enum _NDIS_DEVICE_PNP_EVENT SHMF_ENUM_INT {
    NdisDevicePnPEventQueryRemoved,
    NdisDevicePnPEventRemoved,
    NdisDevicePnPEventSurpriseRemoved,
    NdisDevicePnPEventQueryStopped,
    NdisDevicePnPEventStopped,
    NdisDevicePnPEventPowerProfileChanged,
    NdisDevicePnPEventFilterListChanged,
    NdisDevicePnPEventMaximum
} NDIS_DEVICE_PNP_EVENT,
    *PNDIS_DEVICE_PNP_EVENT;

#define NET_DEVICE_PNP_EVENT_REVISION_1 1
typedef struct _NET_DEVICE_PNP_EVENT {
    NDIS_OBJECT_HEADER Header;
    NDIS_PORT_NUMBER PortNumber;
    NDIS_DEVICE_PNP_EVENT DevicePnPEvent;
    PVOID InformationBuffer;
    ULONG InformationBufferLength;
    UCHAR NdisReserved[2 * sizeof(PVOID)];
} NET_DEVICE_PNP_EVENT, *PNET_DEVICE_PNP_EVENT;
#define NDIS_SIZEOF_NET_DEVICE_PNP_EVENT_REVISION_1                                                \
    RTL_SIZEOF_THROUGH_FIELD(NET_DEVICE_PNP_EVENT, NdisReserved)

/* Layout pinned to the WDK's x64 values. */
SHMF_STATIC_ASSERT(sizeof(UNICODE_STRING) == 16, "UNICODE_STRING size");
SHMF_STATIC_ASSERT(offsetof(UNICODE_STRING, Buffer) == 8, "UNICODE_STRING.Buffer");
SHMF_STATIC_ASSERT(offsetof(DRIVER_OBJECT, DeviceObject) == 0x8, "DRIVER_OBJECT.DeviceObject");
SHMF_STATIC_ASSERT(offsetof(DRIVER_OBJECT, DriverExtension) == 0x30,
                   "DRIVER_OBJECT.DriverExtension");
SHMF_STATIC_ASSERT(offsetof(DRIVER_OBJECT, DriverName) == 0x38, "DRIVER_OBJECT.DriverName");
SHMF_STATIC_ASSERT(offsetof(DRIVER_OBJECT, DriverInit) == 0x58, "DRIVER_OBJECT.DriverInit");
SHMF_STATIC_ASSERT(offsetof(DRIVER_OBJECT, DriverUnload) == 0x68, "DRIVER_OBJECT.DriverUnload");
SHMF_STATIC_ASSERT(offsetof(DRIVER_OBJECT, MajorFunction) == 0x70, "DRIVER_OBJECT.MajorFunction");
SHMF_STATIC_ASSERT(sizeof(DRIVER_OBJECT) == 0x150, "DRIVER_OBJECT size");
SHMF_STATIC_ASSERT(sizeof(NET_LUID) == 8, "NET_LUID size");
SHMF_STATIC_ASSERT(sizeof(NET_DEVICE_PNP_EVENT) == 0x30, "NET_DEVICE_PNP_EVENT size");

SHMF_EXTERN_C_END
#endif /* SHMF_NDIS_DRIVER_H */
