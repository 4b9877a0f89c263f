/* ntddk.h -- forwards to <ndis.h>, which holds the ntddk.h subset shmfuzz provides. */
#include <ndis.h>
