@echo off
rem DindBuild bootstrapper for Windows (from 'dotnet new dindbuild'): the same as build.sh. A leading word is the target.
setlocal
set DOTNET_CLI_TELEMETRY_OPTOUT=1
set DOTNET_NOLOGO=1
if "%DINDBUILD_REPOSITORY_ROOT%"=="" (set "ROOT=%~dp0") else (set "ROOT=%DINDBUILD_REPOSITORY_ROOT%")
cd /d "%ROOT%"

if not exist .dindbuild mkdir .dindbuild
if not exist .dindbuild\.gitignore (echo *> .dindbuild\.gitignore)
set "DINDBUILD_REPOSITORY_ROOT="
set "CAKEPATHS="
if "%CAKE_PATHS_TOOLS%"=="" set "CAKEPATHS=%CAKEPATHS% --paths_tools=%CD%\.dindbuild\cake\tools"
if "%CAKE_PATHS_ADDINS%"=="" set "CAKEPATHS=%CAKEPATHS% --paths_addins=%CD%\.dindbuild\cake\addins"
if "%CAKE_PATHS_MODULES%"=="" set "CAKEPATHS=%CAKEPATHS% --paths_modules=%CD%\.dindbuild\cake\modules"

set "FIRST=%~1"
set "TARGETARG="
if not "%FIRST%"=="" if not "%FIRST:~0,1%"=="-" (
  set "TARGETARG=--target=%FIRST%"
  shift
)

dotnet tool restore --tool-manifest build\dotnet-tools.json >nul || (echo build.cmd: 'dotnet tool restore' failed & exit /b 1)

set "REST="
:collect
if "%~1"=="" goto run
set REST=%REST% %1
shift
goto collect

:run
cd build
dotnet tool run dotnet-cake -- build.cake %TARGETARG% %CAKEPATHS% %REST%
exit /b %ERRORLEVEL%
