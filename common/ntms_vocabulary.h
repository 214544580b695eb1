/*
 * The RSM vocabulary of the project, written once: Win32 error codes with their D-Bus names and
 * texts, job (library request) states, operation kinds, inject and eject actions, operator
 * request types and states. Each list is an X-macro: a consumer defines X to make what it needs (constants, a
 * switch, a table) and expands the list, so that ntmsd, the D-Bus error mapping, libntms and
 * ntmsctl cannot disagree.
 *
 * Every entry is X(CONSTANT, value, Name, ...): CONSTANT is the RSM identifier of <ntmsapi.h>
 * (stringize it, #CONSTANT, directly inside X: ntmsapi.h makes most of them macros or enumerators),
 * value its number, Name a CamelCase identifier for C++ constants and enumerators.
 *
 * <ntmsapi.h> is installed on its own and keeps its literal values. Adding to a list here means
 * adding to it there and to the pages that list it, NtmsErrorString(3) and org.ntms.Ntms1(5):
 * tests/common/check-vocabulary.py fails until they all say the same. Plain C99 and C++.
 */
#ifndef NTMS_VOCABULARY_H
#define NTMS_VOCABULARY_H

/* Where an error code travels (the fourth column of NTMS_ERRORS). */
#define NTMS_BUS 1   /* ntmsd replies with org.ntms.Ntms1.Error.<Name>; libntms maps it back */
#define NTMS_LOCAL 0 /* made by libntms alone (from the bus's own errors, or by itself) */

#define NTMS_DBUS_ERROR_PREFIX "org.ntms.Ntms1.Error."

/* clang-format off */

/* Win32 error codes (winerror.h values): X(CONSTANT, code, Name, NTMS_BUS|NTMS_LOCAL, text).
 * The text is what NtmsErrorString(3) returns; D-Bus errors are NTMS_DBUS_ERROR_PREFIX Name. */
#define NTMS_ERRORS(X)                                                                             \
    X(ERROR_SUCCESS,              0,    Success,            NTMS_LOCAL, "success")                 \
    X(ERROR_INVALID_FUNCTION,     1,    InvalidFunction,    NTMS_LOCAL, "invalid function")        \
    X(ERROR_ACCESS_DENIED,        5,    AccessDenied,       NTMS_BUS,   "access denied")           \
    X(ERROR_INVALID_HANDLE,       6,    InvalidHandle,      NTMS_BUS,   "invalid session handle")  \
    X(ERROR_NOT_ENOUGH_MEMORY,    8,    NotEnoughMemory,    NTMS_BUS,   "out of memory")           \
    X(ERROR_INVALID_DRIVE,        15,   InvalidDrive,       NTMS_BUS,   "invalid drive")           \
    X(ERROR_WRITE_PROTECT,        19,   WriteProtect,       NTMS_LOCAL, "medium write-protected")  \
    X(ERROR_NOT_READY,            21,   NotReady,           NTMS_LOCAL, "ntmsd is not running")    \
    X(ERROR_GEN_FAILURE,          31,   GenFailure,         NTMS_LOCAL, "internal failure")        \
    X(ERROR_NOT_SUPPORTED,        50,   NotSupported,       NTMS_BUS,                              \
      "not supported (the library has no import/export port)")                                     \
    X(ERROR_INVALID_PARAMETER,    87,   InvalidParameter,   NTMS_BUS,   "invalid parameter")       \
    X(ERROR_CALL_NOT_IMPLEMENTED, 120,  CallNotImplemented, NTMS_LOCAL, "not implemented")         \
    X(ERROR_INSUFFICIENT_BUFFER,  122,  InsufficientBuffer, NTMS_LOCAL, "buffer too small")        \
    X(ERROR_INVALID_NAME,         123,  InvalidName,        NTMS_LOCAL, "invalid name")            \
    X(ERROR_BUSY,                 170,  Busy,               NTMS_BUS,   "busy")                    \
    X(ERROR_ALREADY_EXISTS,       183,  AlreadyExists,      NTMS_LOCAL, "already exists")          \
    X(ERROR_OPERATION_ABORTED,    995,  OperationAborted,   NTMS_BUS,   "operation aborted")       \
    X(ERROR_IO_DEVICE,            1117, IoDevice,           NTMS_BUS,   "device I/O error")        \
    X(ERROR_DEVICE_DOOR_OPEN,     1166, DeviceDoorOpen,     NTMS_BUS,   "device door open")        \
    X(ERROR_DEVICE_NOT_CONNECTED, 1167, DeviceNotConnected, NTMS_BUS,   "device not connected")    \
    X(ERROR_NOT_FOUND,            1168, NotFound,           NTMS_LOCAL, "not found")               \
    X(ERROR_INVALID_COMPUTERNAME, 1210, InvalidComputerName, NTMS_LOCAL, "invalid host name")      \
    X(ERROR_NO_NETWORK,           1222, NoNetwork,          NTMS_LOCAL, "network unreachable")     \
    X(ERROR_CANCELLED,            1223, Cancelled,          NTMS_BUS,   "cancelled")               \
    X(ERROR_TIMEOUT,              1460, Timeout,            NTMS_BUS,   "timed out")               \
    X(RPC_S_NO_INTERFACES,        1817, NoInterfaces,       NTMS_LOCAL,                            \
      "the service does not offer the ntms interfaces")                                            \
    X(ERROR_NOT_CONNECTED,        2250, NotConnected,       NTMS_LOCAL, "cannot reach ntmsd")      \
    X(ERROR_INVALID_MEDIA,        4300, InvalidMedia,       NTMS_LOCAL, "invalid medium")          \
    X(ERROR_INVALID_LIBRARY,      4301, InvalidLibrary,     NTMS_BUS,   "invalid library")         \
    X(ERROR_INVALID_MEDIA_POOL,   4302, InvalidMediaPool,   NTMS_LOCAL, "invalid media pool")      \
    X(ERROR_DRIVE_MEDIA_MISMATCH, 4303, DriveMediaMismatch, NTMS_BUS,                              \
      "medium does not fit the drive")                                                             \
    X(ERROR_MEDIA_OFFLINE,        4304, MediaOffline,       NTMS_BUS,   "medium offline")          \
    X(ERROR_LIBRARY_OFFLINE,      4305, LibraryOffline,     NTMS_BUS,   "library offline")         \
    X(ERROR_EMPTY,                4306, Empty,              NTMS_LOCAL, "empty")                   \
    X(ERROR_NOT_EMPTY,            4307, NotEmpty,           NTMS_LOCAL, "not empty")               \
    X(ERROR_MEDIA_UNAVAILABLE,    4308, MediaUnavailable,   NTMS_LOCAL, "medium unavailable")      \
    X(ERROR_RESOURCE_DISABLED,    4309, ResourceDisabled,   NTMS_LOCAL, "resource disabled")       \
    X(ERROR_INVALID_CLEANER,      4310, InvalidCleaner,     NTMS_LOCAL,                            \
      "invalid cleaner cartridge")                                                                 \
    X(ERROR_UNABLE_TO_CLEAN,      4311, UnableToClean,      NTMS_LOCAL,                            \
      "unable to clean the drive")                                                                 \
    X(ERROR_OBJECT_NOT_FOUND,     4312, ObjectNotFound,     NTMS_BUS,   "object not found")        \
    X(ERROR_DATABASE_FAILURE,     4313, DatabaseFailure,    NTMS_BUS,   "database failure")        \
    X(ERROR_DATABASE_FULL,        4314, DatabaseFull,       NTMS_BUS,   "database full")           \
    X(ERROR_MEDIA_INCOMPATIBLE,   4315, MediaIncompatible,  NTMS_BUS,   "medium incompatible")     \
    X(ERROR_RESOURCE_NOT_PRESENT, 4316, ResourceNotPresent, NTMS_BUS,                              \
      "resource not present (the library has no door)")                                          \
    X(ERROR_INVALID_OPERATION,    4317, InvalidOperation,   NTMS_BUS,                              \
      "invalid operation (no such running inject)")                                                \
    X(ERROR_MEDIA_NOT_AVAILABLE,  4318, MediaNotAvailable,  NTMS_LOCAL, "medium not available")    \
    X(ERROR_DEVICE_NOT_AVAILABLE, 4319, DeviceNotAvailable, NTMS_BUS,   "library disabled")        \
    X(ERROR_REQUEST_REFUSED,      4320, RequestRefused,     NTMS_BUS,   "request refused")         \
    X(ERROR_INVALID_DRIVE_OBJECT, 4321, InvalidDriveObject, NTMS_LOCAL, "invalid drive")           \
    X(ERROR_LIBRARY_FULL,         4322, LibraryFull,        NTMS_BUS,   "library full")            \
    X(ERROR_MEDIUM_NOT_ACCESSIBLE,4323, MediumNotAccessible,NTMS_LOCAL, "medium not accessible")   \
    X(ERROR_UNABLE_TO_LOAD_MEDIUM,4324, UnableToLoadMedium, NTMS_LOCAL,                            \
      "unable to load the medium")                                                                 \
    X(ERROR_UNABLE_TO_INVENTORY_DRIVE,4325, UnableToInventoryDrive,NTMS_LOCAL,                     \
      "unable to inventory a drive")                                                               \
    X(ERROR_UNABLE_TO_INVENTORY_SLOT,4326, UnableToInventorySlot,NTMS_LOCAL,                       \
      "unable to inventory a slot")                                                                \
    X(ERROR_UNABLE_TO_INVENTORY_TRANSPORT,4327, UnableToInventoryTransport,NTMS_LOCAL,             \
      "unable to inventory the transport")                                                         \
    X(ERROR_TRANSPORT_FULL,       4328, TransportFull,      NTMS_LOCAL, "transport full")          \
    X(ERROR_CONTROLLING_IEPORT,   4329, ControllingIeport,  NTMS_LOCAL,                            \
      "cannot control the import/export port")                                                     \
    X(ERROR_UNABLE_TO_EJECT_MOUNTED_MEDIA,4330, UnableToEjectMountedMedia,NTMS_BUS,                \
      "cannot eject a mounted medium")                                                             \
    X(ERROR_CLEANER_SLOT_SET,     4331, CleanerSlotSet,     NTMS_LOCAL,                            \
      "cleaner slot already set")                                                                  \
    X(ERROR_CLEANER_SLOT_NOT_SET, 4332, CleanerSlotNotSet,  NTMS_LOCAL, "no cleaner slot set")     \
    X(ERROR_CLEANER_CARTRIDGE_SPENT,4333, CleanerCartridgeSpent,NTMS_LOCAL,                        \
      "cleaner cartridge spent")                                                                   \
    X(ERROR_UNEXPECTED_OMID,      4334, UnexpectedOmid,     NTMS_LOCAL,                            \
      "unexpected on-media identifier")                                                            \
    X(ERROR_CANT_DELETE_LAST_ITEM,4335, CantDeleteLastItem, NTMS_LOCAL,                            \
      "cannot delete the last item")                                                               \
    X(ERROR_MESSAGE_EXCEEDS_MAX_SIZE,4336, MessageExceedsMaxSize,NTMS_LOCAL, "message too long")   \
    X(ERROR_VOLUME_CONTAINS_SYS_FILES,4337, VolumeContainsSysFiles,NTMS_LOCAL,                     \
      "volume holds system files")                                                                 \
    X(ERROR_INDIGENOUS_TYPE,      4338, IndigenousType,     NTMS_LOCAL,                            \
      "media type native to the library")                                                          \
    X(ERROR_NO_SUPPORTING_DRIVES, 4339, NoSupportingDrives, NTMS_LOCAL,                            \
      "no drive supports the medium")                                                              \
    X(ERROR_CLEANER_CARTRIDGE_INSTALLED,4340, CleanerCartridgeInstalled,NTMS_LOCAL,                \
      "cleaner cartridge installed")                                                               \
    X(ERROR_IEPORT_FULL,          4341, IeportFull,         NTMS_BUS,   "import/export port full") \
    X(ERROR_INVALID_STATE,        5023, InvalidState,       NTMS_BUS,   "invalid state")

/* Job (library request) states, NtmsLmState: X(CONSTANT, value, Name, "name"). */
#define NTMS_JOB_STATES(X)                                                                         \
    X(NTMS_LM_QUEUED,    0, Queued,    "queued")                                                   \
    X(NTMS_LM_INPROCESS, 1, InProcess, "inprocess")                                                \
    X(NTMS_LM_PASSED,    2, Passed,    "passed")                                                   \
    X(NTMS_LM_FAILED,    3, Failed,    "failed")                                                   \
    X(NTMS_LM_INVALID,   4, Invalid,   "invalid")                                                  \
    X(NTMS_LM_WAITING,   5, Waiting,   "waiting")                                                  \
    X(NTMS_LM_DEFERRED,  6, Deferred,  "deferred")                                                 \
    X(NTMS_LM_CANCELLED, 7, Cancelled, "cancelled")                                                \
    X(NTMS_LM_STOPPED,   8, Stopped,   "stopped")

/* The operations a job runs, with RSM's NtmsLmOperation codes (MOVE, a slot-to-slot move, is
 * ntmsd's own and has a code out of RSM's range): X(CONSTANT, code, Name, "name").
 * The name is the job's Operation property on the bus. */
#define NTMS_OPERATIONS(X)                                                                         \
    X(NTMS_LM_INVENTORY,     8,  Inventory,     "inventory")                                       \
    X(NTMS_LM_DOORACCESS,    9,  DoorAccess,    "dooraccess")                                      \
    X(NTMS_LM_EJECT,         10, Eject,         "eject")                                           \
    X(NTMS_LM_EJECTCLEANER,  11, EjectCleaner,  "ejectcleaner")                                    \
    X(NTMS_LM_INJECT,        12, Inject,        "inject")                                          \
    X(NTMS_LM_INJECTCLEANER, 13, InjectCleaner, "injectcleaner")                                   \
    X(NTMS_LM_CLEANDRIVE,    15, CleanDrive,    "cleandrive")                                      \
    X(NTMS_LM_DISMOUNT,      16, Dismount,      "dismount")                                        \
    X(NTMS_LM_MOUNT,         17, Mount,         "mount")                                           \
    X(NTMS_LM_MOVE,          0x10000, Move,     "move")

/* InjectNtmsMedia's dwAction, NtmsInjectOperation: X(CONSTANT, value, Name, "name"). */
#define NTMS_INJECT_ACTIONS(X)                                                                     \
    X(NTMS_INJECT_START,     0, Start,     "start")                                                \
    X(NTMS_INJECT_STOP,      1, Stop,      "stop")                                                 \
    X(NTMS_INJECT_RETRACT,   2, Retract,   "retract")                                              \
    X(NTMS_INJECT_STARTMANY, 3, StartMany, "startmany")

/* EjectNtmsMedia's dwAction, NtmsEjectOperation: X(CONSTANT, value, Name, "name"). */
#define NTMS_EJECT_ACTIONS(X)                                                                      \
    X(NTMS_EJECT_START,     0, Start,     "start")                                                 \
    X(NTMS_EJECT_STOP,      1, Stop,      "stop")                                                  \
    X(NTMS_EJECT_QUEUE,     2, Queue,     "queue")                                                 \
    X(NTMS_EJECT_FORCE,     3, Force,     "force")                                                 \
    X(NTMS_EJECT_IMMEDIATE, 4, Immediate, "immediate")                                             \
    X(NTMS_EJECT_ASK_USER,  5, AskUser,   "ask_user")

/* Operator request types, NtmsOpreqCommand: X(CONSTANT, value, Name, "name"). */
#define NTMS_OPREQ_TYPES(X)                                                                        \
    X(NTMS_OPREQ_UNKNOWN,       0, Unknown,       "unknown")                                       \
    X(NTMS_OPREQ_NEWMEDIA,      1, NewMedia,      "newmedia")                                      \
    X(NTMS_OPREQ_CLEANER,       2, Cleaner,       "cleaner")                                       \
    X(NTMS_OPREQ_DEVICESERVICE, 3, DeviceService, "deviceservice")                                 \
    X(NTMS_OPREQ_MOVEMEDIA,     4, MoveMedia,     "movemedia")                                     \
    X(NTMS_OPREQ_MESSAGE,       5, Message,       "message")

/* Operator request states, NtmsOpreqState: X(CONSTANT, value, Name, "name"). */
#define NTMS_OPREQ_STATES(X)                                                                       \
    X(NTMS_OPSTATE_UNKNOWN,    0, Unknown,    "unknown")                                           \
    X(NTMS_OPSTATE_SUBMITTED,  1, Submitted,  "submitted")                                         \
    X(NTMS_OPSTATE_ACTIVE,     2, Active,     "active")                                            \
    X(NTMS_OPSTATE_INPROGRESS, 3, InProgress, "inprogress")                                        \
    X(NTMS_OPSTATE_REFUSED,    4, Refused,    "refused")                                           \
    X(NTMS_OPSTATE_COMPLETE,   5, Complete,   "complete")

/* clang-format on */

#endif
