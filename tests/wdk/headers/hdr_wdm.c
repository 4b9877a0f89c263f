/*
 * hdr_wdm.c -- <wdm.h> and <ntddk.h>, which a WDM-model driver includes
 * before <ndis.h>, forward to it.  Compiled as C11 and C++17; never run.
 */
#include <wdm.h>
#include <ntddk.h>
#include <ndis.h>

int hdr_wdm_use(void);
int hdr_wdm_use(void)
{
    DRIVER_OBJECT obj;
    obj.DriverUnload = NULL;
    return obj.DriverUnload == NULL ? (int)KeGetCurrentIrql() : 0;
}
