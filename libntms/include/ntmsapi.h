/*
 * ntmsapi.h: the Removable Storage Manager client API on Linux, served by ntmsd over D-Bus.
 *
 * The names, values, structure layouts and signatures are those of the RSM API; the widths are
 * fixed for Linux (DWORD is 32 bits on LP64 too, WCHAR is 16 bits, not wchar_t) so that the
 * documented structure sizes hold. Narrow (A) strings are UTF-8, wide (W) strings UTF-16.
 * C99 and C++ clean. See libntms(3).
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
typedef uint16_t WCHAR;
#endif
typedef void *HANDLE;
typedef HANDLE *LPHANDLE;
typedef DWORD *LPDWORD;
typedef CHAR *LPSTR;
typedef const CHAR *LPCSTR;
typedef WCHAR *LPWSTR;
typedef const WCHAR *LPCWSTR;
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

typedef GUID NTMS_GUID;
typedef GUID *LPNTMS_GUID;

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
#define ERROR_NOT_READY 21
#define ERROR_GEN_FAILURE 31
#define ERROR_NOT_SUPPORTED 50
#define ERROR_INVALID_PARAMETER 87
#define ERROR_INSUFFICIENT_BUFFER 122
#define ERROR_BUSY 170
#define ERROR_OPERATION_ABORTED 995
#define ERROR_IO_DEVICE 1117
#define ERROR_DEVICE_DOOR_OPEN 1166
#define ERROR_DEVICE_NOT_CONNECTED 1167
#define ERROR_INVALID_COMPUTERNAME 1210
#define ERROR_NO_NETWORK 1222
#define ERROR_CANCELLED 1223
#define ERROR_TIMEOUT 1460
#define RPC_S_NO_INTERFACES 1817
#define ERROR_NOT_CONNECTED 2250
#define ERROR_INVALID_LIBRARY 4301
#define ERROR_LIBRARY_OFFLINE 4305
#define ERROR_OBJECT_NOT_FOUND 4312
#define ERROR_DATABASE_FAILURE 4313
#define ERROR_DATABASE_FULL 4314
#define ERROR_RESOURCE_NOT_PRESENT 4316
#define ERROR_INVALID_OPERATION 4317
#define ERROR_DEVICE_NOT_AVAILABLE 4319
#define ERROR_REQUEST_REFUSED 4320
#define ERROR_LIBRARY_FULL 4322
#define ERROR_IEPORT_FULL 4341
#define ERROR_INVALID_STATE 5023

/* String lengths, in characters, terminator included. */
#define NTMS_OBJECTNAME_LENGTH 64
#define NTMS_DESCRIPTION_LENGTH 127
#define NTMS_DEVICENAME_LENGTH 64
#define NTMS_SERIALNUMBER_LENGTH 32
#define NTMS_REVISION_LENGTH 32
#define NTMS_BARCODE_LENGTH 64
#define NTMS_SEQUENCE_LENGTH 32
#define NTMS_VENDORNAME_LENGTH 128
#define NTMS_PRODUCTNAME_LENGTH 128
#define NTMS_USERNAME_LENGTH 64
#define NTMS_APPLICATIONNAME_LENGTH 64
#define NTMS_COMPUTERNAME_LENGTH 64
#define NTMS_I1_MESSAGE_LENGTH 127
#define NTMS_MESSAGE_LENGTH 256
#define NTMS_POOLHIERARCHY_LENGTH 512
#define NTMS_OMIDLABELID_LENGTH 255
#define NTMS_OMIDLABELTYPE_LENGTH 64
#define NTMS_OMIDLABELINFO_LENGTH 256
#define NTMS_MAXATTR_LENGTH 0x10000
#define NTMS_MAXATTR_NAMELEN 32

enum NtmsObjectsTypes {
    NTMS_UNKNOWN = 0,
    NTMS_OBJECT = 1,
    NTMS_CHANGER = 2,
    NTMS_CHANGER_TYPE = 3,
    NTMS_COMPUTER = 4,
    NTMS_DRIVE = 5,
    NTMS_DRIVE_TYPE = 6,
    NTMS_IEDOOR = 7,
    NTMS_IEPORT = 8,
    NTMS_LIBRARY = 9,
    NTMS_LIBREQUEST = 10,
    NTMS_LOGICAL_MEDIA = 11,
    NTMS_MEDIA_POOL = 12,
    NTMS_MEDIA_TYPE = 13,
    NTMS_PARTITION = 14,
    NTMS_PHYSICAL_MEDIA = 15,
    NTMS_STORAGESLOT = 16,
    NTMS_OPREQUEST = 17,
    NTMS_UI_DESTINATION = 18,
    NTMS_NUMBER_OF_OBJECT_TYPES = 19
};

enum NtmsInjectOperation {
    NTMS_INJECT_START = 0,
    NTMS_INJECT_STOP = 1,
    NTMS_INJECT_RETRACT = 2,
    NTMS_INJECT_STARTMANY = 3
};
/* The spelling of the SDK documentation. */
#define NTMS_INJECT_START_MANY NTMS_INJECT_STARTMANY

enum NtmsLmOperation {
    NTMS_LM_REMOVE = 0,
    NTMS_LM_DISABLECHANGER = 1,
    NTMS_LM_DISABLELIBRARY = 1,
    NTMS_LM_ENABLECHANGER = 2,
    NTMS_LM_ENABLELIBRARY = 2,
    NTMS_LM_DISABLEDRIVE = 3,
    NTMS_LM_ENABLEDRIVE = 4,
    NTMS_LM_DISABLEMEDIA = 5,
    NTMS_LM_ENABLEMEDIA = 6,
    NTMS_LM_UPDATEOMID = 7,
    NTMS_LM_INVENTORY = 8,
    NTMS_LM_DOORACCESS = 9,
    NTMS_LM_EJECT = 10,
    NTMS_LM_EJECTCLEANER = 11,
    NTMS_LM_INJECT = 12,
    NTMS_LM_INJECTCLEANER = 13,
    NTMS_LM_PROCESSOMID = 14,
    NTMS_LM_CLEANDRIVE = 15,
    NTMS_LM_DISMOUNT = 16,
    NTMS_LM_MOUNT = 17,
    NTMS_LM_WRITESCRATCH = 18,
    NTMS_LM_CLASSIFY = 19,
    NTMS_LM_RESERVECLEANER = 20,
    NTMS_LM_RELEASECLEANER = 21,
    NTMS_LM_MAXWORKITEM = 22
};

enum NtmsLmState {
    NTMS_LM_QUEUED = 0,
    NTMS_LM_INPROCESS = 1,
    NTMS_LM_PASSED = 2,
    NTMS_LM_FAILED = 3,
    NTMS_LM_INVALID = 4,
    NTMS_LM_WAITING = 5,
    NTMS_LM_DEFERRED = 6,
    NTMS_LM_DEFFERED = 6,
    NTMS_LM_CANCELLED = 7,
    NTMS_LM_STOPPED = 8
};

enum NtmsOpreqCommand {
    NTMS_OPREQ_UNKNOWN = 0,
    NTMS_OPREQ_NEWMEDIA = 1,
    NTMS_OPREQ_CLEANER = 2,
    NTMS_OPREQ_DEVICESERVICE = 3,
    NTMS_OPREQ_MOVEMEDIA = 4,
    NTMS_OPREQ_MESSAGE = 5
};

enum NtmsOpreqState {
    NTMS_OPSTATE_UNKNOWN = 0,
    NTMS_OPSTATE_SUBMITTED = 1,
    NTMS_OPSTATE_ACTIVE = 2,
    NTMS_OPSTATE_INPROGRESS = 3,
    NTMS_OPSTATE_REFUSED = 4,
    NTMS_OPSTATE_COMPLETE = 5
};

enum NtmsPortPosition {
    NTMS_PORTPOSITION_UNKNOWN = 0,
    NTMS_PORTPOSITION_EXTENDED = 1,
    NTMS_PORTPOSITION_RETRACTED = 2
};

enum NtmsPortContent {
    NTMS_PORTCONTENT_UNKNOWN = 0,
    NTMS_PORTCONTENT_FULL = 1,
    NTMS_PORTCONTENT_EMPTY = 2
};

enum NtmsLibraryType {
    NTMS_LIBRARYTYPE_UNKNOWN = 0,
    NTMS_LIBRARYTYPE_OFFLINE = 1,
    NTMS_LIBRARYTYPE_ONLINE = 2,
    NTMS_LIBRARYTYPE_STANDALONE = 3
};

enum NtmsInventoryMethod {
    NTMS_INVENTORY_NONE = 0,
    NTMS_INVENTORY_FAST = 1,
    NTMS_INVENTORY_OMID = 2,
    NTMS_INVENTORY_DEFAULT = 3,
    NTMS_INVENTORY_SLOT = 4,
    NTMS_INVENTORY_STOP = 5,
    NTMS_INVENTORY_MAX
};

enum NtmsOperationalState {
    NTMS_READY = 0,
    NTMS_INITIALIZING = 10,
    NTMS_NEEDS_SERVICE = 20,
    NTMS_NOT_PRESENT = 21
};

enum NtmsEnumerateOption { NTMS_ENUM_DEFAULT = 0, NTMS_ENUM_ROOTPOOL = 1 };

enum NtmsSessionOptions { NTMS_SESSION_QUERYEXPEDITE = 0x1 };

enum NtmsAccessMask {
    NTMS_USE_ACCESS = 0x1,
    NTMS_MODIFY_ACCESS = 0x2,
    NTMS_CONTROL_ACCESS = 0x4
};
#define NTMS_GENERIC_READ (NTMS_USE_ACCESS)
#define NTMS_GENERIC_WRITE (NTMS_USE_ACCESS | NTMS_MODIFY_ACCESS)
#define NTMS_GENERIC_EXECUTE (NTMS_USE_ACCESS | NTMS_MODIFY_ACCESS | NTMS_CONTROL_ACCESS)
#define NTMS_GENERIC_ALL (NTMS_USE_ACCESS | NTMS_MODIFY_ACCESS | NTMS_CONTROL_ACCESS)

typedef struct _NTMS_IEPORTINFORMATION {
    DWORD Number;
    DWORD Content;  /* NTMS_PORTCONTENT_* */
    DWORD Position; /* NTMS_PORTPOSITION_* */
    WORD MaxExtendSecs;
    NTMS_GUID Library;
} NTMS_IEPORTINFORMATION;

typedef struct _NTMS_LIBRARYINFORMATION {
    DWORD LibraryType;
    NTMS_GUID CleanerSlot;
    NTMS_GUID CleanerSlotDefault;
    BOOL LibrarySupportsDriveCleaning;
    BOOL BarCodeReaderInstalled;
    DWORD InventoryMethod;
    DWORD dwCleanerUsesRemaining;
    DWORD FirstDriveNumber;
    DWORD dwNumberOfDrives;
    DWORD FirstSlotNumber;
    DWORD dwNumberOfSlots;
    DWORD FirstDoorNumber;
    DWORD dwNumberOfDoors;
    DWORD FirstPortNumber;
    DWORD dwNumberOfPorts;
    DWORD FirstChangerNumber;
    DWORD dwNumberOfChangers;
    DWORD dwNumberOfMedia;
    DWORD dwNumberOfMediaTypes;
    DWORD dwNumberOfLibRequests;
    GUID Reserved;
    BOOL AutoRecovery;
    DWORD dwFlags;
} NTMS_LIBRARYINFORMATION;

typedef struct _NTMS_LIBREQUESTINFORMATIONA {
    DWORD OperationCode;   /* NTMS_LM_INJECT, ... */
    DWORD OperationOption; /* the NTMS_INJECT_* action */
    DWORD State;           /* NTMS_LM_QUEUED, ... */
    NTMS_GUID PartitionId;
    NTMS_GUID DriveId;
    NTMS_GUID PhysMediaId;
    NTMS_GUID Library;
    NTMS_GUID SlotId;
    SYSTEMTIME TimeQueued;
    SYSTEMTIME TimeCompleted;
    CHAR szApplication[NTMS_APPLICATIONNAME_LENGTH];
    CHAR szUser[NTMS_USERNAME_LENGTH];
    CHAR szComputer[NTMS_COMPUTERNAME_LENGTH];
    DWORD dwErrorCode;
    NTMS_GUID WorkItemId;
    DWORD dwPriority;
} NTMS_LIBREQUESTINFORMATIONA;

typedef struct _NTMS_LIBREQUESTINFORMATIONW {
    DWORD OperationCode;
    DWORD OperationOption;
    DWORD State;
    NTMS_GUID PartitionId;
    NTMS_GUID DriveId;
    NTMS_GUID PhysMediaId;
    NTMS_GUID Library;
    NTMS_GUID SlotId;
    SYSTEMTIME TimeQueued;
    SYSTEMTIME TimeCompleted;
    WCHAR szApplication[NTMS_APPLICATIONNAME_LENGTH];
    WCHAR szUser[NTMS_USERNAME_LENGTH];
    WCHAR szComputer[NTMS_COMPUTERNAME_LENGTH];
    DWORD dwErrorCode;
    NTMS_GUID WorkItemId;
    DWORD dwPriority;
} NTMS_LIBREQUESTINFORMATIONW;

typedef struct _NTMS_OPREQUESTINFORMATIONA {
    DWORD Request; /* NTMS_OPREQ_* */
    SYSTEMTIME Submitted;
    DWORD State; /* NTMS_OPSTATE_* */
    CHAR szMessage[NTMS_MESSAGE_LENGTH];
    DWORD Arg1Type;
    NTMS_GUID Arg1;
    DWORD Arg2Type;
    NTMS_GUID Arg2;
    CHAR szApplication[NTMS_APPLICATIONNAME_LENGTH];
    CHAR szUser[NTMS_USERNAME_LENGTH];
    CHAR szComputer[NTMS_COMPUTERNAME_LENGTH];
} NTMS_OPREQUESTINFORMATIONA;

typedef struct _NTMS_OPREQUESTINFORMATIONW {
    DWORD Request;
    SYSTEMTIME Submitted;
    DWORD State;
    WCHAR szMessage[NTMS_MESSAGE_LENGTH];
    DWORD Arg1Type;
    NTMS_GUID Arg1;
    DWORD Arg2Type;
    NTMS_GUID Arg2;
    WCHAR szApplication[NTMS_APPLICATIONNAME_LENGTH];
    WCHAR szUser[NTMS_USERNAME_LENGTH];
    WCHAR szComputer[NTMS_COMPUTERNAME_LENGTH];
} NTMS_OPREQUESTINFORMATIONW;

/*
 * The Info union holds only the members this implementation fills; Reserved gives it the size of
 * the full RSM union (whose largest members are the partition and operator-request records), so
 * dwSize and every offset match the documented structure.
 */
#define NTMS_OBJECTINFORMATIONA_INFO_SIZE 640
#define NTMS_OBJECTINFORMATIONW_INFO_SIZE 960

typedef struct _NTMS_OBJECTINFORMATIONA {
    DWORD dwSize;
    DWORD dwType;
    SYSTEMTIME Created;
    SYSTEMTIME Modified;
    NTMS_GUID ObjectGuid;
    BOOL Enabled;
    DWORD dwOperationalState;
    CHAR szName[NTMS_OBJECTNAME_LENGTH];
    CHAR szDescription[NTMS_DESCRIPTION_LENGTH];
    union {
        NTMS_LIBRARYINFORMATION Library;
        NTMS_IEPORTINFORMATION IEPort;
        NTMS_LIBREQUESTINFORMATIONA LibRequest;
        NTMS_OPREQUESTINFORMATIONA OpRequest;
        LARGE_INTEGER AlignmentReserved;
        BYTE Reserved[NTMS_OBJECTINFORMATIONA_INFO_SIZE];
    } Info;
} NTMS_OBJECTINFORMATIONA, *LPNTMS_OBJECTINFORMATIONA;

typedef struct _NTMS_OBJECTINFORMATIONW {
    DWORD dwSize;
    DWORD dwType;
    SYSTEMTIME Created;
    SYSTEMTIME Modified;
    NTMS_GUID ObjectGuid;
    BOOL Enabled;
    DWORD dwOperationalState;
    WCHAR szName[NTMS_OBJECTNAME_LENGTH];
    WCHAR szDescription[NTMS_DESCRIPTION_LENGTH];
    union {
        NTMS_LIBRARYINFORMATION Library;
        NTMS_IEPORTINFORMATION IEPort;
        NTMS_LIBREQUESTINFORMATIONW LibRequest;
        NTMS_OPREQUESTINFORMATIONW OpRequest;
        LARGE_INTEGER AlignmentReserved;
        BYTE Reserved[NTMS_OBJECTINFORMATIONW_INFO_SIZE];
    } Info;
} NTMS_OBJECTINFORMATIONW, *LPNTMS_OBJECTINFORMATIONW;

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
NTMS_STATIC_ASSERT(sizeof(NTMS_OBJECTINFORMATIONA) == 896, objectinformation_a_size);
NTMS_STATIC_ASSERT(offsetof(NTMS_OBJECTINFORMATIONA, Info) == 256, objectinformation_a_info);
NTMS_STATIC_ASSERT(sizeof(NTMS_OBJECTINFORMATIONW) == 1408, objectinformation_w_size);
NTMS_STATIC_ASSERT(offsetof(NTMS_OBJECTINFORMATIONW, Info) == 448, objectinformation_w_info);

/* Sessions. lpServer NULL or "" is this host; otherwise a host ("[user@]host") reached by ssh. */
HANDLE WINAPI OpenNtmsSessionW(LPCWSTR lpServer, LPCWSTR lpApplication, DWORD dwOptions);
HANDLE WINAPI OpenNtmsSessionA(LPCSTR lpServer, LPCSTR lpApplication, DWORD dwOptions);
DWORD WINAPI CloseNtmsSession(HANDLE hSession);

/* Libraries and their requests. */
DWORD WINAPI InjectNtmsMedia(HANDLE hSession, LPNTMS_GUID lpLibraryId,
                             LPNTMS_GUID lpInjectOperation, DWORD dwAction);
DWORD WINAPI InventoryNtmsLibrary(HANDLE hSession, LPNTMS_GUID lpLibraryId, DWORD dwAction);
DWORD WINAPI AccessNtmsLibraryDoor(HANDLE hSession, LPNTMS_GUID lpLibraryId, DWORD dwAction);
DWORD WINAPI EnumerateNtmsObject(HANDLE hSession, const LPNTMS_GUID lpContainerId,
                                 LPNTMS_GUID lpList, LPDWORD lpdwListSize, DWORD dwType,
                                 DWORD dwOptions);
DWORD WINAPI GetNtmsObjectInformationA(HANDLE hSession, LPNTMS_GUID lpObjectId,
                                       LPNTMS_OBJECTINFORMATIONA lpInfo);
DWORD WINAPI GetNtmsObjectInformationW(HANDLE hSession, LPNTMS_GUID lpObjectId,
                                       LPNTMS_OBJECTINFORMATIONW lpInfo);
DWORD WINAPI CancelNtmsLibraryRequest(HANDLE hSession, LPNTMS_GUID lpRequestId);

/* Operator requests. */
DWORD WINAPI WaitForNtmsOperatorRequest(HANDLE hSession, LPNTMS_GUID lpRequestId,
                                        DWORD dwTimeout);
DWORD WINAPI CancelNtmsOperatorRequest(HANDLE hSession, LPNTMS_GUID lpRequestId);
DWORD WINAPI SatisfyNtmsOperatorRequest(HANDLE hSession, LPNTMS_GUID lpRequestId);

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
NTMS_STATIC_ASSERT(sizeof(NTMS_NOTIFICATIONINFORMATION) == 20, notificationinformation_size);

HANDLE WINAPI OpenNtmsNotification(HANDLE hSession, DWORD dwType);
DWORD WINAPI WaitForNtmsNotification(HANDLE hNotification,
                                     LPNTMS_NOTIFICATIONINFORMATION lpNotificationInformation,
                                     DWORD dwTimeout);
DWORD WINAPI CloseNtmsNotification(HANDLE hNotification);

/*
 * Linux additions. NtmsSetInjectTimeout: MaxExtendSecs (0..65535, 0 = the library's own) for the
 * session's later START/STARTMANY injects. NtmsGetLastError: this thread's reason for the last
 * OpenNtmsSession or OpenNtmsNotification failure (the GetLastError of RSM). NtmsErrorString: a
 * short English text for a Win32 code, never NULL. NtmsBackupDatabase: ntmsd writes an online
 * backup of its whole database into fd, a regular file the caller opened for writing (not for
 * appending), and syncs it; returns once it is written. Local sessions only.
 */
DWORD NtmsSetInjectTimeout(HANDLE hSession, DWORD dwSeconds);
DWORD NtmsGetLastError(void);
const char *NtmsErrorString(DWORD dwError);
DWORD NtmsBackupDatabase(HANDLE hSession, int fd);

#ifdef UNICODE
#define OpenNtmsSession OpenNtmsSessionW
#define GetNtmsObjectInformation GetNtmsObjectInformationW
typedef NTMS_OBJECTINFORMATIONW NTMS_OBJECTINFORMATION;
typedef LPNTMS_OBJECTINFORMATIONW LPNTMS_OBJECTINFORMATION;
typedef NTMS_LIBREQUESTINFORMATIONW NTMS_LIBREQUESTINFORMATION;
typedef NTMS_OPREQUESTINFORMATIONW NTMS_OPREQUESTINFORMATION;
#else
#define OpenNtmsSession OpenNtmsSessionA
#define GetNtmsObjectInformation GetNtmsObjectInformationA
typedef NTMS_OBJECTINFORMATIONA NTMS_OBJECTINFORMATION;
typedef LPNTMS_OBJECTINFORMATIONA LPNTMS_OBJECTINFORMATION;
typedef NTMS_LIBREQUESTINFORMATIONA NTMS_LIBREQUESTINFORMATION;
typedef NTMS_OPREQUESTINFORMATIONA NTMS_OPREQUESTINFORMATION;
#endif

#ifdef __cplusplus
}
#endif

#endif /* NTMSAPI_H */
