# The consumer host: one image, the stages chosen by Bus__Host__Stages__N. Built from the repository root:
#   docker build -f compose/host.Dockerfile -t bus-host .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Bus.Host/Bus.Host.csproj -c Release -o /out

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /out .
# MassTransit's usage telemetry posts to the internet: off. Listen where compose (or your orchestrator) says.
ENV MASSTRANSIT_USAGE_TELEMETRY=false \
    DOTNET_NOLOGO=1 \
    ASPNETCORE_URLS=http://0.0.0.0:8080 \
    Bus__Host__DataDirectory=/data
VOLUME /data
USER app
ENTRYPOINT ["dotnet", "Bus.Host.dll"]
