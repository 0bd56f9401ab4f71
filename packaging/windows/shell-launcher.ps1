# Makes hailong.exe the shell of a local kiosk account with Windows Shell Launcher (v1 WMI
# interface), so that account sees only the kiosk and Windows restarts it when it exits.
# Administrators keep Explorer.
#
# Needs Windows 10/11 Enterprise, Education or IoT Enterprise (Shell Launcher does not exist on
# Home or Pro). Run in an elevated PowerShell after installing the MSI:
#   powershell -ExecutionPolicy Bypass -File shell-launcher.ps1 -KioskUser kiosk
# Undo:
#   powershell -ExecutionPolicy Bypass -File shell-launcher.ps1 -KioskUser kiosk -Remove
#
# Not run on Windows by the project yet (see README.md): check it on a test PC first.
param(
    [Parameter(Mandatory = $true)][string]$KioskUser,
    [string]$Exe = "$env:ProgramFiles\HaiLong\hailong.exe",
    [switch]$Remove
)
$ErrorActionPreference = "Stop"

# The optional feature; a reboot may be needed the first time.
$feature = Get-WindowsOptionalFeature -Online -FeatureName Client-EmbeddedShellLauncher
if ($feature.State -ne "Enabled") {
    Enable-WindowsOptionalFeature -Online -FeatureName Client-EmbeddedShellLauncher -All -NoRestart
    Write-Host "Shell Launcher enabled; reboot, then run this script again."
    exit 0
}

$launcher = [wmiclass]"\\localhost\root\standardcimv2\embedded:WESL_UserSetting"
$sid = (New-Object System.Security.Principal.NTAccount($KioskUser)).Translate(
    [System.Security.Principal.SecurityIdentifier]).Value
$adminsSid = "S-1-5-32-544"

# Actions when the shell exits: 0 restart the shell, 1 restart the PC, 2 shut down, 3 nothing.
$restartShell = 0

if ($Remove) {
    $launcher.RemoveCustomShell($sid) | Out-Null
    Write-Host "Removed the custom shell of $KioskUser."
    exit 0
}

if (-not (Test-Path $Exe)) { throw "$Exe not found: install hailong.msi first" }

$launcher.SetEnabled($true) | Out-Null
# Everyone else (administrators, technicians) keeps Explorer.
$launcher.SetDefaultShell("explorer.exe", $restartShell) | Out-Null
$launcher.SetCustomShell($adminsSid, "explorer.exe", $null, $null, $restartShell) | Out-Null
# The kiosk account: hailong.exe full screen; restarted whatever its exit code.
$launcher.SetCustomShell($sid, "`"$Exe`"", $null, $null, $restartShell) | Out-Null

Write-Host "Shell of $KioskUser is now $Exe (restarted when it exits)."
Write-Host "Set up automatic logon of $KioskUser (e.g. Sysinternals Autologon) and reboot."
