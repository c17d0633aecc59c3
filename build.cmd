@echo off
rem DindBuild bootstrapper for Windows: the same as build.sh. A leading word is the target.
setlocal
set DOTNET_CLI_TELEMETRY_OPTOUT=1
set DOTNET_NOLOGO=1
cd /d "%~dp0"

set "FIRST=%~1"
set "TARGETARG="
if not "%FIRST%"=="" if not "%FIRST:~0,1%"=="-" (
  set "TARGETARG=--target=%FIRST%"
  shift
)

dotnet tool restore >nul || (echo build.cmd: 'dotnet tool restore' failed & exit /b 1)
dotnet publish src\DindBuild\DindBuild.csproj -c Release -o .dindbuild\engine --nologo -v q || (echo build.cmd: the engine did not build & exit /b 1)

set "REST="
:collect
if "%~1"=="" goto run
set REST=%REST% %1
shift
goto collect

:run
dotnet tool run dotnet-cake -- build\build.cake %TARGETARG% %REST%
exit /b %ERRORLEVEL%
