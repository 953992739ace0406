# The operator CLI (`bus status`, `bus audit verify`, `bus iam-policy`, ...). Built from the repository root:
#   docker build -f compose/cli.Dockerfile -t bus-cli .   then   docker run --rm bus-cli status digits --db "$PG"
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Bus.Cli/Bus.Cli.csproj -c Release -o /out

FROM mcr.microsoft.com/dotnet/runtime:10.0
WORKDIR /app
COPY --from=build /out .
ENV MASSTRANSIT_USAGE_TELEMETRY=false DOTNET_NOLOGO=1
USER app
ENTRYPOINT ["dotnet", "bus.dll"]
