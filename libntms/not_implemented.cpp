// The RSM functions libntms declares but does not implement (ntmsapi(3) lists them): each
// returns ERROR_CALL_NOT_IMPLEMENTED, sets the thread's last error to it, and touches nothing
// it is given, not even the session handle.
#include "last_error.hpp"

namespace {

DWORD not_implemented() noexcept {
    ntms::lib::last_error = ERROR_CALL_NOT_IMPLEMENTED;
    return ERROR_CALL_NOT_IMPLEMENTED;
}

} // namespace

extern "C" {

DWORD WINAPI AllocateNtmsMedia(HANDLE, LPNTMS_GUID, LPNTMS_GUID, LPNTMS_GUID, DWORD, DWORD,
                               LPNTMS_ALLOCATION_INFORMATION) {
    return not_implemented();
}

DWORD WINAPI DeallocateNtmsMedia(HANDLE, LPNTMS_GUID, DWORD) {
    return not_implemented();
}

DWORD WINAPI SwapNtmsMedia(HANDLE, LPNTMS_GUID, LPNTMS_GUID) {
    return not_implemented();
}

DWORD WINAPI AddNtmsMediaType(HANDLE, LPNTMS_GUID, LPNTMS_GUID) {
    return not_implemented();
}

DWORD WINAPI DeleteNtmsMediaType(HANDLE, LPNTMS_GUID, LPNTMS_GUID) {
    return not_implemented();
}

DWORD WINAPI ChangeNtmsMediaType(HANDLE, LPNTMS_GUID, LPNTMS_GUID) {
    return not_implemented();
}

DWORD WINAPI DecommissionNtmsMedia(HANDLE, LPNTMS_GUID) {
    return not_implemented();
}

DWORD WINAPI SetNtmsMediaComplete(HANDLE, LPNTMS_GUID) {
    return not_implemented();
}

DWORD WINAPI DeleteNtmsMedia(HANDLE, LPNTMS_GUID) {
    return not_implemented();
}

DWORD WINAPI CreateNtmsMediaPoolA(HANDLE, LPCSTR, LPNTMS_GUID, DWORD, LPSECURITY_ATTRIBUTES,
                                  LPNTMS_GUID) {
    return not_implemented();
}

DWORD WINAPI CreateNtmsMediaPoolW(HANDLE, LPCWSTR, LPNTMS_GUID, DWORD, LPSECURITY_ATTRIBUTES,
                                  LPNTMS_GUID) {
    return not_implemented();
}

DWORD WINAPI GetNtmsMediaPoolNameA(HANDLE, LPNTMS_GUID, LPSTR, LPDWORD) {
    return not_implemented();
}

DWORD WINAPI GetNtmsMediaPoolNameW(HANDLE, LPNTMS_GUID, LPWSTR, LPDWORD) {
    return not_implemented();
}

DWORD WINAPI MoveToNtmsMediaPool(HANDLE, LPNTMS_GUID, LPNTMS_GUID) {
    return not_implemented();
}

DWORD WINAPI DeleteNtmsMediaPool(HANDLE, LPNTMS_GUID) {
    return not_implemented();
}

DWORD WINAPI DeleteNtmsLibrary(HANDLE, LPNTMS_GUID) {
    return not_implemented();
}

DWORD WINAPI DeleteNtmsDrive(HANDLE, LPNTMS_GUID) {
    return not_implemented();
}

DWORD WINAPI SetNtmsObjectInformationA(HANDLE, LPNTMS_GUID, LPNTMS_OBJECTINFORMATIONA) {
    return not_implemented();
}

DWORD WINAPI SetNtmsObjectInformationW(HANDLE, LPNTMS_GUID, LPNTMS_OBJECTINFORMATIONW) {
    return not_implemented();
}

DWORD WINAPI CreateNtmsMediaA(HANDLE, LPNTMS_OBJECTINFORMATIONA, LPNTMS_OBJECTINFORMATIONA, DWORD) {
    return not_implemented();
}

DWORD WINAPI CreateNtmsMediaW(HANDLE, LPNTMS_OBJECTINFORMATIONW, LPNTMS_OBJECTINFORMATIONW, DWORD) {
    return not_implemented();
}

DWORD WINAPI DisableNtmsObject(HANDLE, DWORD, LPNTMS_GUID) {
    return not_implemented();
}

DWORD WINAPI EnableNtmsObject(HANDLE, DWORD, LPNTMS_GUID) {
    return not_implemented();
}

DWORD WINAPI DismountNtmsDrive(HANDLE, LPNTMS_GUID) {
    return not_implemented();
}

DWORD WINAPI IdentifyNtmsSlot(HANDLE, LPNTMS_GUID, DWORD) {
    return not_implemented();
}

DWORD WINAPI UpdateNtmsOmidInfo(HANDLE, LPNTMS_GUID, DWORD, DWORD, LPVOID) {
    return not_implemented();
}

DWORD WINAPI GetNtmsRequestOrder(HANDLE, LPNTMS_GUID, LPDWORD) {
    return not_implemented();
}

DWORD WINAPI SetNtmsRequestOrder(HANDLE, LPNTMS_GUID, DWORD) {
    return not_implemented();
}

DWORD WINAPI DeleteNtmsRequests(HANDLE, LPNTMS_GUID, DWORD, DWORD) {
    return not_implemented();
}

DWORD WINAPI ReserveNtmsCleanerSlot(HANDLE, LPNTMS_GUID, LPNTMS_GUID) {
    return not_implemented();
}

DWORD WINAPI ReleaseNtmsCleanerSlot(HANDLE, LPNTMS_GUID) {
    return not_implemented();
}

DWORD WINAPI BeginNtmsDeviceChangeDetection(HANDLE, LPHANDLE) {
    return not_implemented();
}

DWORD WINAPI SetNtmsDeviceChangeDetection(HANDLE, HANDLE, LPNTMS_GUID, DWORD, DWORD) {
    return not_implemented();
}

DWORD WINAPI EndNtmsDeviceChangeDetection(HANDLE, HANDLE) {
    return not_implemented();
}

DWORD WINAPI GetNtmsObjectSecurity(HANDLE, LPNTMS_GUID, DWORD, SECURITY_INFORMATION,
                                   PSECURITY_DESCRIPTOR, DWORD, LPDWORD) {
    return not_implemented();
}

DWORD WINAPI SetNtmsObjectSecurity(HANDLE, LPNTMS_GUID, DWORD, SECURITY_INFORMATION,
                                   PSECURITY_DESCRIPTOR) {
    return not_implemented();
}

DWORD WINAPI GetNtmsObjectAttributeA(HANDLE, LPNTMS_GUID, DWORD, LPCSTR, LPVOID, LPDWORD) {
    return not_implemented();
}

DWORD WINAPI GetNtmsObjectAttributeW(HANDLE, LPNTMS_GUID, DWORD, LPCWSTR, LPVOID, LPDWORD) {
    return not_implemented();
}

DWORD WINAPI SetNtmsObjectAttributeA(HANDLE, LPNTMS_GUID, DWORD, LPCSTR, LPVOID, DWORD) {
    return not_implemented();
}

DWORD WINAPI SetNtmsObjectAttributeW(HANDLE, LPNTMS_GUID, DWORD, LPCWSTR, LPVOID, DWORD) {
    return not_implemented();
}

DWORD WINAPI GetNtmsUIOptionsA(HANDLE, const LPNTMS_GUID, DWORD, LPSTR, LPDWORD) {
    return not_implemented();
}

DWORD WINAPI GetNtmsUIOptionsW(HANDLE, const LPNTMS_GUID, DWORD, LPWSTR, LPDWORD) {
    return not_implemented();
}

DWORD WINAPI SetNtmsUIOptionsA(HANDLE, const LPNTMS_GUID, DWORD, DWORD, LPCSTR) {
    return not_implemented();
}

DWORD WINAPI SetNtmsUIOptionsW(HANDLE, const LPNTMS_GUID, DWORD, DWORD, LPCWSTR) {
    return not_implemented();
}

DWORD WINAPI SubmitNtmsOperatorRequestW(HANDLE, DWORD, LPCWSTR, LPNTMS_GUID, LPNTMS_GUID,
                                        LPNTMS_GUID) {
    return not_implemented();
}

DWORD WINAPI SubmitNtmsOperatorRequestA(HANDLE, DWORD, LPCSTR, LPNTMS_GUID, LPNTMS_GUID,
                                        LPNTMS_GUID) {
    return not_implemented();
}

DWORD WINAPI ImportNtmsDatabase(HANDLE) {
    return not_implemented();
}

DWORD WINAPI ExportNtmsDatabase(HANDLE) {
    return not_implemented();
}

DWORD WINAPI EjectDiskFromSADriveW(LPCWSTR, LPCWSTR, LPCWSTR, HWND, LPCWSTR, LPCWSTR, DWORD) {
    return not_implemented();
}

DWORD WINAPI EjectDiskFromSADriveA(LPCSTR, LPCSTR, LPCSTR, HWND, LPCSTR, LPCSTR, DWORD) {
    return not_implemented();
}

DWORD WINAPI GetVolumesFromDriveW(LPWSTR, LPWSTR*, LPWSTR*) {
    return not_implemented();
}

DWORD WINAPI GetVolumesFromDriveA(LPSTR, LPSTR*, LPSTR*) {
    return not_implemented();
}

} // extern "C"
