@echo off
rem DindBuild's own bootstrapper for Windows: builds the engine from source, then runs the bootstrapper a team gets
rem from 'dotnet new dindbuild' (src\DindBuild.Templates\content\build.cmd) on this repository. A leading word is the target.
setlocal
set DOTNET_CLI_TELEMETRY_OPTOUT=1
set DOTNET_NOLOGO=1
cd /d "%~dp0"
dotnet publish src\DindBuild\DindBuild.csproj -c Release -o .dindbuild\engine --nologo -v q -p:MinVerSkip=true || (echo build.cmd: the engine did not build & exit /b 1)
set "DINDBUILD_REPOSITORY_ROOT=%~dp0"
call src\DindBuild.Templates\content\build.cmd %*
exit /b %ERRORLEVEL%
