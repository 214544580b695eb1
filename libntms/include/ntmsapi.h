/*
 * ntmsapi.h: the Removable Storage Manager client API on Linux, served by ntmsd over D-Bus.
 *
 * The names, values, structure layouts and signatures are those of the RSM API; the widths are
 * fixed for Linux (DWORD is 32 bits on LP64 too, WCHAR is 16 bits, not wchar_t) so that the
 * documented structure sizes hold. Narrow (A) strings are UTF-8, wide (W) strings UTF-16: write
 * wide literals as NTMS_TEXT("...") or u"...", never L"..." (a 32-bit wchar_t string on Linux).
 * The object records are in <ntmsapi_objects.h> and <ntmsapi_requests.h>, included here.
 * C99 and C++ clean. See ntmsapi(3) and libntms(3).
 */
#ifndef NTMSAPI_H
#define NTMSAPI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Base Win32 types, with the widths Windows gives them. */
#ifndef NTMS_WIN32_TYPES_DEFINED
#define NTMS_WIN32_TYPES_DEFINED
typedef uint32_t DWORD;
typedef uint16_t WORD;
typedef uint8_t BYTE;
typedef int32_t BOOL;
typedef int32_t LONG;
typedef char CHAR;
#if defined(__cplusplus) && __cplusplus >= 201103L
/* char16_t lets u"..." literals be passed to the W functions from C++; same size and ABI. */
typedef char16_t WCHAR;
#else
/* The type of C11's u"..." on Linux (uint_least16_t), so that those literals fit too. */
typedef uint16_t WCHAR;
#endif
typedef void *HANDLE;
typedef HANDLE *LPHANDLE;
typedef void *HWND;
typedef void *LPVOID;
typedef uintptr_t ULONG_PTR;
typedef DWORD *LPDWORD;
typedef CHAR *LPSTR;
typedef const CHAR *LPCSTR;
typedef WCHAR *LPWSTR;
typedef const WCHAR *LPCWSTR;
typedef DWORD SECURITY_INFORMATION;
typedef void *PSECURITY_DESCRIPTOR;
typedef struct _SECURITY_ATTRIBUTES {
    DWORD nLength;
    LPVOID lpSecurityDescriptor;
    BOOL bInheritHandle;
} SECURITY_ATTRIBUTES, *LPSECURITY_ATTRIBUTES;
#endif

#ifndef WINAPI
#define WINAPI
#endif

#ifndef TRUE
#define TRUE 1
#endif
#ifndef FALSE
#define FALSE 0
#endif

#ifndef INFINITE
#define INFINITE 0xFFFFFFFFu
#endif

/* What OpenNtmsSession returns on failure. */
#ifdef __cplusplus
#define INVALID_HANDLE_VALUE (reinterpret_cast<HANDLE>(static_cast<intptr_t>(-1)))
#else
#define INVALID_HANDLE_VALUE ((HANDLE)(intptr_t)-1)
#endif

/*
 * The A or W form of a name, by UNICODE as in RSM. NTMS_TEXT("...") makes a literal of the
 * strings those forms take: UTF-8 without UNICODE; with it, UTF-16 (u"..."), which needs C11 or
 * C++11. An L"..." literal is wchar_t, 32 bits on Linux: passed as LPCWSTR it is diagnosed as an
 * incompatible pointer in C and rejected in C++, never silently misread.
 */
#ifdef UNICODE
#define NTMS_NAME_AW(name) name##W
#if defined(__cplusplus) || (defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L)
#define NTMS_TEXT(s) u##s
#endif
#else
#define NTMS_NAME_AW(name) name##A
#define NTMS_TEXT(s) s
#endif

/* A compile-time check usable in C99 and C++ alike (C11 _Static_assert is not C99). */
#define NTMS_STATIC_ASSERT(cond, name) typedef char ntms_static_assert_##name[(cond) ? 1 : -1]

/* LARGE_INTEGER is 8-aligned on Windows; i386 Linux would give an int64_t only 4. */
#if defined(__GNUC__)
#define NTMS_ALIGN8 __attribute__((aligned(8)))
#else
#define NTMS_ALIGN8
#endif

#pragma pack(push, 8)

#ifndef GUID_DEFINED
#define GUID_DEFINED
typedef struct _GUID {
    uint32_t Data1;
    uint16_t Data2;
    uint16_t Data3;
    uint8_t Data4[8];
} GUID;
#endif
typedef GUID *LPGUID;

typedef GUID NTMS_GUID;
typedef GUID *LPNTMS_GUID;
typedef BYTE *PSECURITY_DESCRIPTOR_NTMS;
typedef ULONG_PTR NTMS_HANDLE;

#define NTMS_NULLGUID {0, 0, 0, {0, 0, 0, 0, 0, 0, 0, 0}}
#define NTMS_IS_NULLGUID(id)                                                                       \
    ((id).Data1 == 0 && (id).Data2 == 0 && (id).Data3 == 0 && (id).Data4[0] == 0 &&                \
     (id).Data4[1] == 0 && (id).Data4[2] == 0 && (id).Data4[3] == 0 && (id).Data4[4] == 0 &&       \
     (id).Data4[5] == 0 && (id).Data4[6] == 0 && (id).Data4[7] == 0)

typedef struct _SYSTEMTIME {
    WORD wYear;
    WORD wMonth;
    WORD wDayOfWeek;
    WORD wDay;
    WORD wHour;
    WORD wMinute;
    WORD wSecond;
    WORD wMilliseconds;
} SYSTEMTIME;

typedef union _LARGE_INTEGER {
    struct {
        DWORD LowPart;
        LONG HighPart;
    } u;
    int64_t QuadPart;
} NTMS_ALIGN8 LARGE_INTEGER;

/* Win32 error codes the functions return (winerror.h values). */
#define ERROR_SUCCESS 0
#define ERROR_INVALID_FUNCTION 1
#define ERROR_ACCESS_DENIED 5
#define ERROR_INVALID_HANDLE 6
#define ERROR_NOT_ENOUGH_MEMORY 8
#define ERROR_INVALID_DRIVE 15
#define ERROR_WRITE_PROTECT 19
#define ERROR_NOT_READY 21
#define ERROR_GEN_FAILURE 31
#define ERROR_NOT_SUPPORTED 50
#define ERROR_INVALID_PARAMETER 87
#define ERROR_CALL_NOT_IMPLEMENTED 120
#define ERROR_INSUFFICIENT_BUFFER 122
#define ERROR_INVALID_NAME 123
#define ERROR_BUSY 170
#define ERROR_ALREADY_EXISTS 183
#define ERROR_OPERATION_ABORTED 995
#define ERROR_IO_DEVICE 1117
#define ERROR_DEVICE_DOOR_OPEN 1166
#define ERROR_DEVICE_NOT_CONNECTED 1167
#define ERROR_NOT_FOUND 1168
#define ERROR_INVALID_COMPUTERNAME 1210
#define ERROR_NO_NETWORK 1222
#define ERROR_CANCELLED 1223
#define ERROR_TIMEOUT 1460
#define RPC_S_NO_INTERFACES 1817
#define ERROR_NOT_CONNECTED 2250
#define ERROR_INVALID_MEDIA 4300
#define ERROR_INVALID_LIBRARY 4301
#define ERROR_INVALID_MEDIA_POOL 4302
#define ERROR_DRIVE_MEDIA_MISMATCH 4303
#define ERROR_MEDIA_OFFLINE 4304
#define ERROR_LIBRARY_OFFLINE 4305
#define ERROR_EMPTY 4306
#define ERROR_NOT_EMPTY 4307
#define ERROR_MEDIA_UNAVAILABLE 4308
#define ERROR_RESOURCE_DISABLED 4309
#define ERROR_INVALID_CLEANER 4310
#define ERROR_UNABLE_TO_CLEAN 4311
#define ERROR_OBJECT_NOT_FOUND 4312
#define ERROR_DATABASE_FAILURE 4313
#define ERROR_DATABASE_FULL 4314
#define ERROR_MEDIA_INCOMPATIBLE 4315
#define ERROR_RESOURCE_NOT_PRESENT 4316
#define ERROR_INVALID_OPERATION 4317
#define ERROR_MEDIA_NOT_AVAILABLE 4318
#define ERROR_DEVICE_NOT_AVAILABLE 4319
#define ERROR_REQUEST_REFUSED 4320
#define ERROR_INVALID_DRIVE_OBJECT 4321
#define ERROR_LIBRARY_FULL 4322
#define ERROR_MEDIUM_NOT_ACCESSIBLE 4323
#define ERROR_UNABLE_TO_LOAD_MEDIUM 4324
#define ERROR_UNABLE_TO_INVENTORY_DRIVE 4325
#define ERROR_UNABLE_TO_INVENTORY_SLOT 4326
#define ERROR_UNABLE_TO_INVENTORY_TRANSPORT 4327
#define ERROR_TRANSPORT_FULL 4328
#define ERROR_CONTROLLING_IEPORT 4329
#define ERROR_UNABLE_TO_EJECT_MOUNTED_MEDIA 4330
#define ERROR_CLEANER_SLOT_SET 4331
#define ERROR_CLEANER_SLOT_NOT_SET 4332
#define ERROR_CLEANER_CARTRIDGE_SPENT 4333
#define ERROR_UNEXPECTED_OMID 4334
#define ERROR_CANT_DELETE_LAST_ITEM 4335
#define ERROR_MESSAGE_EXCEEDS_MAX_SIZE 4336
#define ERROR_VOLUME_CONTAINS_SYS_FILES 4337
#define ERROR_INDIGENOUS_TYPE 4338
#define ERROR_NO_SUPPORTING_DRIVES 4339
#define ERROR_CLEANER_CARTRIDGE_INSTALLED 4340
#define ERROR_IEPORT_FULL 4341
#define ERROR_INVALID_STATE 5023

#include <ntmsapi_objects.h>

/* Sessions, and the asynchronous operation record of RSM's first interface. */
enum NtmsSessionOptions { NTMS_SESSION_QUERYEXPEDITE = 0x1 };

typedef struct _NTMS_ASYNC_IO {
    NTMS_GUID OperationId;
    NTMS_GUID EventId;
    DWORD dwOperationType; /* NTMS_ASYNCOP_* */
    DWORD dwResult;
    DWORD dwAsyncState; /* NTMS_ASYNCSTATE_* */
    HANDLE hEvent;
    BOOL bOnStateChange;
} NTMS_ASYNC_IO, *LPNTMS_ASYNC_IO;

enum NtmsAsyncStatus {
    NTMS_ASYNCSTATE_QUEUED = 0,
    NTMS_ASYNCSTATE_WAIT_RESOURCE = 1,
    NTMS_ASYNCSTATE_WAIT_OPERATOR = 2,
    NTMS_ASYNCSTATE_INPROCESS = 3,
    NTMS_ASYNCSTATE_COMPLETE = 4
};

enum NtmsAsyncOperations { NTMS_ASYNCOP_MOUNT = 1 };

/* Mounting, allocating and creating media. */
enum NtmsMountOptions {
    NTMS_MOUNT_READ = 0x0001,
    NTMS_MOUNT_WRITE = 0x0002,
    NTMS_MOUNT_ERROR_NOT_AVAILABLE = 0x0004,
    NTMS_MOUNT_ERROR_IF_UNAVAILABLE = 0x0004,
    NTMS_MOUNT_ERROR_OFFLINE = 0x0008,
    NTMS_MOUNT_ERROR_IF_OFFLINE = 0x0008,
    NTMS_MOUNT_SPECIFIC_DRIVE = 0x0010,
    NTMS_MOUNT_NOWAIT = 0x0020
};

enum NtmsDismountOptions { NTMS_DISMOUNT_DEFERRED = 0x0001, NTMS_DISMOUNT_IMMEDIATE = 0x0002 };

enum NtmsMountPriority {
    NTMS_PRIORITY_DEFAULT = 0,
    NTMS_PRIORITY_HIGHEST = 15,
    NTMS_PRIORITY_HIGH = 7,
    NTMS_PRIORITY_NORMAL = 0,
    NTMS_PRIORITY_LOW = -7,
    NTMS_PRIORITY_LOWEST = -15
};

typedef struct _NTMS_MOUNT_INFORMATION {
    DWORD dwSize;
    LPVOID lpReserved;
} NTMS_MOUNT_INFORMATION, *LPNTMS_MOUNT_INFORMATION;

enum NtmsAllocateOptions {
    NTMS_ALLOCATE_NEW = 0x0001,
    NTMS_ALLOCATE_NEXT = 0x0002,
    NTMS_ALLOCATE_ERROR_IF_UNAVAILABLE = 0x0004
};

typedef struct _NTMS_ALLOCATION_INFORMATION {
    DWORD dwSize;
    LPVOID lpReserved;
    NTMS_GUID AllocatedFrom;
} NTMS_ALLOCATION_INFORMATION, *LPNTMS_ALLOCATION_INFORMATION;

enum NtmsCreateOptions {
    NTMS_OPEN_EXISTING = 0x0001,
    NTMS_CREATE_NEW = 0x0002,
    NTMS_OPEN_ALWAYS = 0x0003
};

enum NtmsCreateNtmsMediaOptions { NTMS_ERROR_ON_DUPLICATE = 0x0001 };

/* Objects, libraries and their requests. */
enum NtmsEnumerateOption { NTMS_ENUM_DEFAULT = 0, NTMS_ENUM_ROOTPOOL = 1 };

enum NtmsEjectOperation {
    NTMS_EJECT_START = 0,
    NTMS_EJECT_STOP = 1,
    NTMS_EJECT_QUEUE = 2,
    NTMS_EJECT_FORCE = 3,
    NTMS_EJECT_IMMEDIATE = 4,
    NTMS_EJECT_ASK_USER = 5
};

enum NtmsInjectOperation {
    NTMS_INJECT_START = 0,
    NTMS_INJECT_STOP = 1,
    NTMS_INJECT_RETRACT = 2,
    NTMS_INJECT_STARTMANY = 3
};
/* The spelling of the SDK documentation. */
#define NTMS_INJECT_START_MANY NTMS_INJECT_STARTMANY

/* On-media identifiers (UpdateNtmsOmidInfo). */
#define NTMS_OMID_TYPE_RAW_LABEL 0x01
#define NTMS_OMID_TYPE_FILESYSTEM_INFO 0x02

typedef struct {
    WCHAR FileSystemType[64];
    WCHAR VolumeName[256];
    DWORD SerialNumber;
} NTMS_FILESYSTEM_INFO;

/* Security and the operator's user interface. */
enum NtmsAccessMask {
    NTMS_USE_ACCESS = 0x1,
    NTMS_MODIFY_ACCESS = 0x2,
    NTMS_CONTROL_ACCESS = 0x4
};
#define NTMS_GENERIC_READ (NTMS_USE_ACCESS)
#define NTMS_GENERIC_WRITE (NTMS_USE_ACCESS | NTMS_MODIFY_ACCESS)
#define NTMS_GENERIC_EXECUTE (NTMS_USE_ACCESS | NTMS_MODIFY_ACCESS | NTMS_CONTROL_ACCESS)
#define NTMS_GENERIC_ALL (NTMS_USE_ACCESS | NTMS_MODIFY_ACCESS | NTMS_CONTROL_ACCESS)

enum NtmsUITypes {
    NTMS_UITYPE_INVALID = 0,
    NTMS_UITYPE_INFO = 1,
    NTMS_UITYPE_REQ = 2,
    NTMS_UITYPE_ERR = 3,
    NTMS_UITYPE_MAX = 4
};

enum NtmsUIOperations {
    NTMS_UIDEST_ADD = 1,
    NTMS_UIDEST_DELETE = 2,
    NTMS_UIDEST_DELETEALL = 3,
    NTMS_UIOPERATION_MAX = 4
};

/* Notifications: the changes of one type of object (jobs or operator requests), as they happen. */
enum NtmsNotificationOperations {
    NTMS_OBJ_UPDATE = 1,
    NTMS_OBJ_INSERT = 2,
    NTMS_OBJ_DELETE = 3,
    NTMS_EVENT_SIGNAL = 4,
    NTMS_EVENT_COMPLETE = 5
};

typedef struct _NTMS_NOTIFICATIONINFORMATION {
    DWORD dwOperation;
    NTMS_GUID ObjectId;
} NTMS_NOTIFICATIONINFORMATION, *LPNTMS_NOTIFICATIONINFORMATION;

#pragma pack(pop)

/* The layouts RSM documents; a mismatch here would corrupt every caller's memory. */
NTMS_STATIC_ASSERT(sizeof(DWORD) == 4, dword);
NTMS_STATIC_ASSERT(sizeof(WORD) == 2, word);
NTMS_STATIC_ASSERT(sizeof(BOOL) == 4, bool);
NTMS_STATIC_ASSERT(sizeof(WCHAR) == 2, wchar);
NTMS_STATIC_ASSERT(sizeof(NTMS_GUID) == 16, guid);
NTMS_STATIC_ASSERT(sizeof(SYSTEMTIME) == 16, systemtime);
NTMS_STATIC_ASSERT(sizeof(LARGE_INTEGER) == 8, large_integer);
NTMS_STATIC_ASSERT(sizeof(NTMS_IEPORTINFORMATION) == 32, ieport_size);
NTMS_STATIC_ASSERT(offsetof(NTMS_IEPORTINFORMATION, Library) == 16, ieport_library);
NTMS_STATIC_ASSERT(sizeof(NTMS_LIBRARYINFORMATION) == 128, library_size);
NTMS_STATIC_ASSERT(sizeof(NTMS_LIBREQUESTINFORMATIONA) == 340, librequest_a_size);
NTMS_STATIC_ASSERT(sizeof(NTMS_LIBREQUESTINFORMATIONW) == 532, librequest_w_size);
NTMS_STATIC_ASSERT(sizeof(NTMS_OPREQUESTINFORMATIONA) == 512, oprequest_a_size);
NTMS_STATIC_ASSERT(sizeof(NTMS_OPREQUESTINFORMATIONW) == 960, oprequest_w_size);
NTMS_STATIC_ASSERT(sizeof(NTMS_PARTITIONINFORMATIONA) == 640, partition_a_size);
NTMS_STATIC_ASSERT(sizeof(NTMS_OBJECTINFORMATIONA) == 896, objectinformation_a_size);
NTMS_STATIC_ASSERT(offsetof(NTMS_OBJECTINFORMATIONA, Info) == 256, objectinformation_a_info);
NTMS_STATIC_ASSERT(sizeof(NTMS_OBJECTINFORMATIONW) == 1408, objectinformation_w_size);
NTMS_STATIC_ASSERT(offsetof(NTMS_OBJECTINFORMATIONW, Info) == 448, objectinformation_w_info);
NTMS_STATIC_ASSERT(sizeof(NTMS_NOTIFICATIONINFORMATION) == 20, notificationinformation_size);

/*
 * The functions of RSM, in its order. Those ntmsapi(3) lists as not implemented return
 * ERROR_CALL_NOT_IMPLEMENTED and change nothing.
 */

/* Sessions. lpServer NULL or "" is this host; otherwise a host ("[user@]host") reached by ssh. */
HANDLE WINAPI OpenNtmsSessionW(LPCWSTR lpServer, LPCWSTR lpApplication, DWORD dwOptions);
HANDLE WINAPI OpenNtmsSessionA(LPCSTR lpServer, LPCSTR lpApplication, DWORD dwOptions);
DWORD WINAPI CloseNtmsSession(HANDLE hSession);

/* Media in drives. */
DWORD WINAPI MountNtmsMedia(HANDLE hSession, LPNTMS_GUID lpMediaId, LPNTMS_GUID lpDriveId,
                            DWORD dwCount, DWORD dwOptions, int dwPriority, DWORD dwTimeout,
                            LPNTMS_MOUNT_INFORMATION lpMountInformation);
DWORD WINAPI DismountNtmsMedia(HANDLE hSession, LPNTMS_GUID lpMediaId, DWORD dwCount,
                               DWORD dwOptions);

/* Media, media types and pools. */
DWORD WINAPI AllocateNtmsMedia(HANDLE hSession, LPNTMS_GUID lpMediaPool, LPNTMS_GUID lpPartition,
                               LPNTMS_GUID lpMediaId, DWORD dwOptions, DWORD dwTimeout,
                               LPNTMS_ALLOCATION_INFORMATION lpAllocateInformation);
DWORD WINAPI DeallocateNtmsMedia(HANDLE hSession, LPNTMS_GUID lpMediaId, DWORD dwOptions);
DWORD WINAPI SwapNtmsMedia(HANDLE hSession, LPNTMS_GUID lpMediaId1, LPNTMS_GUID lpMediaId2);
DWORD WINAPI AddNtmsMediaType(HANDLE hSession, LPNTMS_GUID lpMediaTypeId, LPNTMS_GUID lpLibId);
DWORD WINAPI DeleteNtmsMediaType(HANDLE hSession, LPNTMS_GUID lpMediaTypeId,
                                 LPNTMS_GUID lpLibId);
DWORD WINAPI ChangeNtmsMediaType(HANDLE hSession, LPNTMS_GUID lpMediaId, LPNTMS_GUID lpPoolId);
DWORD WINAPI DecommissionNtmsMedia(HANDLE hSession, LPNTMS_GUID lpMediaId);
DWORD WINAPI SetNtmsMediaComplete(HANDLE hSession, LPNTMS_GUID lpMediaId);
DWORD WINAPI DeleteNtmsMedia(HANDLE hSession, LPNTMS_GUID lpMediaId);
DWORD WINAPI CreateNtmsMediaPoolA(HANDLE hSession, LPCSTR lpPoolName, LPNTMS_GUID lpMediaType,
                                  DWORD dwAction, LPSECURITY_ATTRIBUTES lpSecurityAttributes,
                                  LPNTMS_GUID lpPoolId);
DWORD WINAPI CreateNtmsMediaPoolW(HANDLE hSession, LPCWSTR lpPoolName, LPNTMS_GUID lpMediaType,
                                  DWORD dwAction, LPSECURITY_ATTRIBUTES lpSecurityAttributes,
                                  LPNTMS_GUID lpPoolId);
DWORD WINAPI GetNtmsMediaPoolNameA(HANDLE hSession, LPNTMS_GUID lpPoolId, LPSTR lpNameBuf,
                                   LPDWORD lpdwBufSize);
DWORD WINAPI GetNtmsMediaPoolNameW(HANDLE hSession, LPNTMS_GUID lpPoolId, LPWSTR lpNameBuf,
                                   LPDWORD lpdwBufSize);
DWORD WINAPI MoveToNtmsMediaPool(HANDLE hSession, LPNTMS_GUID lpMediaId, LPNTMS_GUID lpPoolId);
DWORD WINAPI DeleteNtmsMediaPool(HANDLE hSession, LPNTMS_GUID lpPoolId);
DWORD WINAPI DeleteNtmsLibrary(HANDLE hSession, LPNTMS_GUID lpLibraryId);
DWORD WINAPI DeleteNtmsDrive(HANDLE hSession, LPNTMS_GUID lpDriveId);

/* Any object. */
DWORD WINAPI GetNtmsObjectInformationA(HANDLE hSession, LPNTMS_GUID lpObjectId,
                                       LPNTMS_OBJECTINFORMATIONA lpInfo);
DWORD WINAPI GetNtmsObjectInformationW(HANDLE hSession, LPNTMS_GUID lpObjectId,
                                       LPNTMS_OBJECTINFORMATIONW lpInfo);
DWORD WINAPI SetNtmsObjectInformationA(HANDLE hSession, LPNTMS_GUID lpObjectId,
                                       LPNTMS_OBJECTINFORMATIONA lpInfo);
DWORD WINAPI SetNtmsObjectInformationW(HANDLE hSession, LPNTMS_GUID lpObjectId,
                                       LPNTMS_OBJECTINFORMATIONW lpInfo);
DWORD WINAPI CreateNtmsMediaA(HANDLE hSession, LPNTMS_OBJECTINFORMATIONA lpMedia,
                              LPNTMS_OBJECTINFORMATIONA lpList, DWORD dwOptions);
DWORD WINAPI CreateNtmsMediaW(HANDLE hSession, LPNTMS_OBJECTINFORMATIONW lpMedia,
                              LPNTMS_OBJECTINFORMATIONW lpList, DWORD dwOptions);
DWORD WINAPI EnumerateNtmsObject(HANDLE hSession, const LPNTMS_GUID lpContainerId,
                                 LPNTMS_GUID lpList, LPDWORD lpdwListSize, DWORD dwType,
                                 DWORD dwOptions);
DWORD WINAPI DisableNtmsObject(HANDLE hSession, DWORD dwType, LPNTMS_GUID lpObjectId);
DWORD WINAPI EnableNtmsObject(HANDLE hSession, DWORD dwType, LPNTMS_GUID lpObjectId);

/* Libraries and their requests. */
DWORD WINAPI EjectNtmsMedia(HANDLE hSession, LPNTMS_GUID lpMediaId, LPNTMS_GUID lpEjectOperation,
                            DWORD dwAction);
DWORD WINAPI InjectNtmsMedia(HANDLE hSession, LPNTMS_GUID lpLibraryId,
                             LPNTMS_GUID lpInjectOperation, DWORD dwAction);
DWORD WINAPI AccessNtmsLibraryDoor(HANDLE hSession, LPNTMS_GUID lpLibraryId, DWORD dwAction);
DWORD WINAPI CleanNtmsDrive(HANDLE hSession, LPNTMS_GUID lpDriveId);
DWORD WINAPI DismountNtmsDrive(HANDLE hSession, LPNTMS_GUID lpDriveId);
DWORD WINAPI InventoryNtmsLibrary(HANDLE hSession, LPNTMS_GUID lpLibraryId, DWORD dwAction);
DWORD WINAPI IdentifyNtmsSlot(HANDLE hSession, LPNTMS_GUID lpSlotId, DWORD dwOption);
DWORD WINAPI UpdateNtmsOmidInfo(HANDLE hSession, LPNTMS_GUID lpMediaId, DWORD labelType,
                                DWORD numberOfBytes, LPVOID lpBuffer);
DWORD WINAPI CancelNtmsLibraryRequest(HANDLE hSession, LPNTMS_GUID lpRequestId);
DWORD WINAPI GetNtmsRequestOrder(HANDLE hSession, LPNTMS_GUID lpRequestId,
                                 LPDWORD lpdwOrderNumber);
DWORD WINAPI SetNtmsRequestOrder(HANDLE hSession, LPNTMS_GUID lpRequestId, DWORD dwOrderNumber);
DWORD WINAPI DeleteNtmsRequests(HANDLE hSession, LPNTMS_GUID lpRequestId, DWORD dwType,
                                DWORD dwCount);
DWORD WINAPI ReserveNtmsCleanerSlot(HANDLE hSession, LPNTMS_GUID lpLibrary, LPNTMS_GUID lpSlot);
DWORD WINAPI ReleaseNtmsCleanerSlot(HANDLE hSession, LPNTMS_GUID lpLibrary);
DWORD WINAPI InjectNtmsCleaner(HANDLE hSession, LPNTMS_GUID lpLibrary,
                               LPNTMS_GUID lpInjectOperation, DWORD dwNumberOfCleansLeft,
                               DWORD dwAction);
DWORD WINAPI EjectNtmsCleaner(HANDLE hSession, LPNTMS_GUID lpLibrary,
                              LPNTMS_GUID lpEjectOperation, DWORD dwAction);
DWORD WINAPI BeginNtmsDeviceChangeDetection(HANDLE hSession, LPHANDLE lpDetectHandle);
DWORD WINAPI SetNtmsDeviceChangeDetection(HANDLE hSession, HANDLE DetectHandle,
                                          LPNTMS_GUID lpRequestId, DWORD dwType, DWORD dwCount);
DWORD WINAPI EndNtmsDeviceChangeDetection(HANDLE hSession, HANDLE DetectHandle);

/* Security, attributes and the operator's user interface. */
DWORD WINAPI GetNtmsObjectSecurity(HANDLE hSession, LPNTMS_GUID lpObjectId, DWORD dwType,
                                   SECURITY_INFORMATION RequestedInformation,
                                   PSECURITY_DESCRIPTOR lpSecurityDescriptor, DWORD nLength,
                                   LPDWORD lpnLengthNeeded);
DWORD WINAPI SetNtmsObjectSecurity(HANDLE hSession, LPNTMS_GUID lpObjectId, DWORD dwType,
                                   SECURITY_INFORMATION SecurityInformation,
                                   PSECURITY_DESCRIPTOR lpSecurityDescriptor);
DWORD WINAPI GetNtmsObjectAttributeA(HANDLE hSession, LPNTMS_GUID lpObjectId, DWORD dwType,
                                     LPCSTR lpAttributeName, LPVOID lpAttributeData,
                                     LPDWORD lpAttributeSize);
DWORD WINAPI GetNtmsObjectAttributeW(HANDLE hSession, LPNTMS_GUID lpObjectId, DWORD dwType,
                                     LPCWSTR lpAttributeName, LPVOID lpAttributeData,
                                     LPDWORD lpAttributeSize);
DWORD WINAPI SetNtmsObjectAttributeA(HANDLE hSession, LPNTMS_GUID lpObjectId, DWORD dwType,
                                     LPCSTR lpAttributeName, LPVOID lpAttributeData,
                                     DWORD dwAttributeSize);
DWORD WINAPI SetNtmsObjectAttributeW(HANDLE hSession, LPNTMS_GUID lpObjectId, DWORD dwType,
                                     LPCWSTR lpAttributeName, LPVOID lpAttributeData,
                                     DWORD AttributeSize);
DWORD WINAPI GetNtmsUIOptionsA(HANDLE hSession, const LPNTMS_GUID lpObjectId, DWORD dwType,
                               LPSTR lpszDestination, LPDWORD lpdwBufSize);
DWORD WINAPI GetNtmsUIOptionsW(HANDLE hSession, const LPNTMS_GUID lpObjectId, DWORD dwType,
                               LPWSTR lpszDestination, LPDWORD lpdwBufSize);
DWORD WINAPI SetNtmsUIOptionsA(HANDLE hSession, const LPNTMS_GUID lpObjectId, DWORD dwType,
                               DWORD dwOperation, LPCSTR lpszDestination);
DWORD WINAPI SetNtmsUIOptionsW(HANDLE hSession, const LPNTMS_GUID lpObjectId, DWORD dwType,
                               DWORD dwOperation, LPCWSTR lpszDestination);

/* Operator requests. */
DWORD WINAPI SubmitNtmsOperatorRequestW(HANDLE hSession, DWORD dwRequest, LPCWSTR lpMessage,
                                        LPNTMS_GUID lpArg1Id, LPNTMS_GUID lpArg2Id,
                                        LPNTMS_GUID lpRequestId);
DWORD WINAPI SubmitNtmsOperatorRequestA(HANDLE hSession, DWORD dwRequest, LPCSTR lpMessage,
                                        LPNTMS_GUID lpArg1Id, LPNTMS_GUID lpArg2Id,
                                        LPNTMS_GUID lpRequestId);
DWORD WINAPI WaitForNtmsOperatorRequest(HANDLE hSession, LPNTMS_GUID lpRequestId,
                                        DWORD dwTimeout);
DWORD WINAPI CancelNtmsOperatorRequest(HANDLE hSession, LPNTMS_GUID lpRequestId);
DWORD WINAPI SatisfyNtmsOperatorRequest(HANDLE hSession, LPNTMS_GUID lpRequestId);

/* The database, notifications, and stand-alone drives. */
DWORD WINAPI ImportNtmsDatabase(HANDLE hSession);
DWORD WINAPI ExportNtmsDatabase(HANDLE hSession);
HANDLE WINAPI OpenNtmsNotification(HANDLE hSession, DWORD dwType);
DWORD WINAPI WaitForNtmsNotification(HANDLE hNotification,
                                     LPNTMS_NOTIFICATIONINFORMATION lpNotificationInformation,
                                     DWORD dwTimeout);
DWORD WINAPI CloseNtmsNotification(HANDLE hNotification);
DWORD WINAPI EjectDiskFromSADriveW(LPCWSTR lpComputerName, LPCWSTR lpAppName,
                                   LPCWSTR lpDeviceName, HWND hWnd, LPCWSTR lpTitle,
                                   LPCWSTR lpMessage, DWORD dwOptions);
DWORD WINAPI EjectDiskFromSADriveA(LPCSTR lpComputerName, LPCSTR lpAppName, LPCSTR lpDeviceName,
                                   HWND hWnd, LPCSTR lpTitle, LPCSTR lpMessage, DWORD dwOptions);
DWORD WINAPI GetVolumesFromDriveW(LPWSTR pszDriveName, LPWSTR *VolumeNameBufferPtr,
                                  LPWSTR *DriveLetterBufferPtr);
DWORD WINAPI GetVolumesFromDriveA(LPSTR pszDriveName, LPSTR *VolumeNameBufferPtr,
                                  LPSTR *DriveLetterBufferPtr);

/* The functions with text, by UNICODE. */
#define OpenNtmsSession NTMS_NAME_AW(OpenNtmsSession)
#define GetNtmsDeviceName NTMS_NAME_AW(GetNtmsDeviceName)
#define GetNtmsObjectInformation NTMS_NAME_AW(GetNtmsObjectInformation)
#define SetNtmsObjectInformation NTMS_NAME_AW(SetNtmsObjectInformation)
#define CreateNtmsMediaPool NTMS_NAME_AW(CreateNtmsMediaPool)
#define GetNtmsMediaPoolName NTMS_NAME_AW(GetNtmsMediaPoolName)
#define GetNtmsObjectAttribute NTMS_NAME_AW(GetNtmsObjectAttribute)
#define SetNtmsObjectAttribute NTMS_NAME_AW(SetNtmsObjectAttribute)
#define GetNtmsUIOptions NTMS_NAME_AW(GetNtmsUIOptions)
#define SetNtmsUIOptions NTMS_NAME_AW(SetNtmsUIOptions)
#define SubmitNtmsOperatorRequest NTMS_NAME_AW(SubmitNtmsOperatorRequest)
#define CreateNtmsMedia NTMS_NAME_AW(CreateNtmsMedia)
#define EjectDiskFromSADrive NTMS_NAME_AW(EjectDiskFromSADrive)
#define GetVolumesFromDrive NTMS_NAME_AW(GetVolumesFromDrive)

/*
 * Linux additions. NtmsSetInjectTimeout: MaxExtendSecs (0..65535, 0 = the library's own) for the
 * session's later START/STARTMANY injects. NtmsGetLastError: this thread's reason for the last
 * OpenNtmsSession or OpenNtmsNotification failure (the GetLastError of RSM), and the
 * ERROR_CALL_NOT_IMPLEMENTED of a function not implemented. NtmsErrorString: a short English
 * text for a Win32 code, never NULL. NtmsBackupDatabase: ntmsd writes an online backup of its
 * whole database into fd, a regular file the caller opened for writing (not for appending), and
 * syncs it; returns once it is written. Local sessions only. NtmsCheckDatabase: ntmsd checks its
 * whole database (SQLite's integrity_check and foreign_key_check); *lpOk is TRUE when nothing is
 * wrong; the problems found go into lpProblems, each ending with a NUL and the list with one more,
 * *lpdwSize bytes in all (ERROR_INSUFFICIENT_BUFFER and the size needed when it is too small).
 */
DWORD NtmsSetInjectTimeout(HANDLE hSession, DWORD dwSeconds);
DWORD NtmsGetLastError(void);
const char *NtmsErrorString(DWORD dwError);
DWORD NtmsBackupDatabase(HANDLE hSession, int fd);
DWORD NtmsCheckDatabase(HANDLE hSession, BOOL *lpOk, LPSTR lpProblems, LPDWORD lpdwSize);

#ifdef __cplusplus
}
#endif

#endif /* NTMSAPI_H */
