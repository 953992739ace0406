using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using Google.Protobuf;

namespace Bus.IntegrationTests;

/// <summary>One span as an OTLP exporter sent it, with the service that sent it.</summary>
sealed record CollectedSpan(string Service, string Scope, string TraceId, string SpanId, string? ParentSpanId, string Name, int Kind, string? TraceState,
    IReadOnlyDictionary<string, string> Attributes);

/// <summary>One data point of a metric (a sum's or gauge's value, a histogram's count and sum), with its attributes.</summary>
sealed record CollectedPoint(string Service, string Metric, string Unit, double Value, long Count, IReadOnlyDictionary<string, string> Attributes);

/// <summary>
/// An OpenTelemetry collector inside the test: OTLP over HTTP on 127.0.0.1 (<c>POST /v1/traces</c>), protobuf as the
/// .NET exporter sends it (<c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>) and JSON as the TF.js job sends it.
/// The protobuf reader follows the field numbers of opentelemetry-proto's trace and common messages.
/// </summary>
sealed class OtlpCollector : IDisposable
{
    readonly HttpListener _listener = new();
    readonly Task _loop;

    public OtlpCollector()
    {
        for (var attempt = 0; ; attempt++)
        {
            Port = Random.Shared.Next(20_000, 60_000);
            _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
            try
            {
                _listener.Start();
                break;
            }
            catch (HttpListenerException) when (attempt < 20)
            {
                _listener.Prefixes.Clear();
            }
        }

        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public Uri Endpoint => new($"http://127.0.0.1:{Port}");
    public ConcurrentBag<CollectedSpan> Spans { get; } = [];
    public ConcurrentBag<CollectedPoint> Points { get; } = [];

    /// <summary>What was refused (a request the collector could not read); a test fails on any.</summary>
    public ConcurrentBag<string> Problems { get; } = [];

    async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (!_listener.IsListening)
            {
                return;
            }
            catch (HttpListenerException)
            {
                return;
            }

            try
            {
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                if (context.Request.Url?.AbsolutePath == "/v1/metrics")
                {
                    ReadMetrics(body.ToArray());
                }
                else if (context.Request.Url?.AbsolutePath == "/v1/traces")
                {
                    if (context.Request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) == true)
                        ReadJson(body.ToArray());
                    else
                        ReadProtobuf(body.ToArray());
                }

                context.Response.StatusCode = 200;
                context.Response.ContentType = context.Request.ContentType;
            }
            catch (Exception ex)
            {
                Problems.Add($"{context.Request.Url}: {ex.Message}");
                context.Response.StatusCode = 400;
            }
            finally
            {
                context.Response.Close();
            }
        }
    }

    // ExportTraceServiceRequest { 1: repeated ResourceSpans }
    void ReadProtobuf(byte[] bytes)
    {
        var input = new CodedInputStream(bytes);
        while (input.ReadTag() is var tag and not 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1)
                ReadResourceSpans(input.ReadBytes());
            else
                input.SkipLastField();
        }
    }

    // ResourceSpans { 1: Resource { 1: repeated KeyValue }, 2: repeated ScopeSpans }
    void ReadResourceSpans(ByteString bytes)
    {
        var input = bytes.CreateCodedInput();
        var service = "";
        var scopes = new List<ByteString>();
        while (input.ReadTag() is var tag and not 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1:
                    service = Attributes(input.ReadBytes(), 1).GetValueOrDefault("service.name", "");
                    break;
                case 2:
                    scopes.Add(input.ReadBytes());
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        // ScopeSpans { 1: InstrumentationScope { 1: name }, 2: repeated Span }
        foreach (var scopeSpans in scopes)
        {
            var scopeInput = scopeSpans.CreateCodedInput();
            var scope = "";
            var spans = new List<ByteString>();
            while (scopeInput.ReadTag() is var tag and not 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 1:
                        scope = ScopeName(scopeInput.ReadBytes());
                        break;
                    case 2:
                        spans.Add(scopeInput.ReadBytes());
                        break;
                    default:
                        scopeInput.SkipLastField();
                        break;
                }
            }

            foreach (var span in spans)
                Spans.Add(ReadSpan(service, scope, span));
        }
    }

    static string ScopeName(ByteString bytes)
    {
        var input = bytes.CreateCodedInput();
        while (input.ReadTag() is var tag and not 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1)
                return input.ReadString();
            input.SkipLastField();
        }

        return "";
    }

    // Span { 1: trace_id, 2: span_id, 3: trace_state, 4: parent_span_id, 5: name, 6: kind, 9: repeated KeyValue attributes }
    static CollectedSpan ReadSpan(string service, string scope, ByteString bytes)
    {
        var input = bytes.CreateCodedInput();
        string traceId = "", spanId = "", name = "";
        string? parent = null, state = null;
        var kind = 0;
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        while (input.ReadTag() is var tag and not 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: traceId = Convert.ToHexStringLower(input.ReadBytes().Span); break;
                case 2: spanId = Convert.ToHexStringLower(input.ReadBytes().Span); break;
                case 3: state = input.ReadString(); break;
                case 4: parent = Convert.ToHexStringLower(input.ReadBytes().Span); break;
                case 5: name = input.ReadString(); break;
                case 6: kind = input.ReadEnum(); break;
                case 9:
                    var (key, value) = KeyValue(input.ReadBytes());
                    attributes[key] = value;
                    break;
                default: input.SkipLastField(); break;
            }
        }

        return new CollectedSpan(service, scope, traceId, spanId, string.IsNullOrEmpty(parent) ? null : parent, name, kind,
            string.IsNullOrEmpty(state) ? null : state, attributes);
    }

    static Dictionary<string, string> Attributes(ByteString message, int field)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var input = message.CreateCodedInput();
        while (input.ReadTag() is var tag and not 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == field)
            {
                var (key, value) = KeyValue(input.ReadBytes());
                result[key] = value;
            }
            else
            {
                input.SkipLastField();
            }
        }

        return result;
    }

    // KeyValue { 1: key, 2: AnyValue { 1: string, 2: bool, 3: int64, 4: double } }
    static (string Key, string Value) KeyValue(ByteString bytes)
    {
        var input = bytes.CreateCodedInput();
        string key = "", value = "";
        while (input.ReadTag() is var tag and not 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == 1)
            {
                key = input.ReadString();
            }
            else if (WireFormat.GetTagFieldNumber(tag) == 2)
            {
                var any = input.ReadBytes().CreateCodedInput();
                while (any.ReadTag() is var anyTag and not 0)
                {
                    value = WireFormat.GetTagFieldNumber(anyTag) switch
                    {
                        1 => any.ReadString(),
                        2 => any.ReadBool() ? "true" : "false",
                        3 => any.ReadInt64().ToString(System.Globalization.CultureInfo.InvariantCulture),
                        4 => any.ReadDouble().ToString(System.Globalization.CultureInfo.InvariantCulture),
                        _ => Skip(any),
                    };
                }
            }
            else
            {
                input.SkipLastField();
            }
        }

        return (key, value);
    }

    // ExportMetricsServiceRequest { 1: repeated ResourceMetrics { 1: Resource, 2: repeated ScopeMetrics { 2: repeated Metric } } }
    void ReadMetrics(byte[] bytes)
    {
        foreach (var resourceMetrics in Fields(ByteString.CopyFrom(bytes), 1))
        {
            var service = Fields(resourceMetrics, 1).Select(r => Attributes(r, 1).GetValueOrDefault("service.name", "")).FirstOrDefault() ?? "";
            foreach (var metric in Fields(resourceMetrics, 2).SelectMany(scope => Fields(scope, 2)))
                ReadMetric(service, metric);
        }
    }

    // Metric { 1: name, 3: unit, 5: Gauge, 7: Sum (each { 1: repeated NumberDataPoint }), 9: Histogram { 1: repeated HistogramDataPoint } }
    void ReadMetric(string service, ByteString bytes)
    {
        var input = bytes.CreateCodedInput();
        string name = "", unit = "";
        var numbers = new List<ByteString>();
        var histograms = new List<ByteString>();
        while (input.ReadTag() is var tag and not 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: name = input.ReadString(); break;
                case 3: unit = input.ReadString(); break;
                case 5 or 7: numbers.AddRange(Fields(input.ReadBytes(), 1)); break;
                case 9: histograms.AddRange(Fields(input.ReadBytes(), 1)); break;
                default: input.SkipLastField(); break;
            }
        }

        // NumberDataPoint { 7: attributes, 4: as_double (fixed64), 6: as_int (sfixed64) }
        foreach (var point in numbers)
        {
            var p = point.CreateCodedInput();
            var value = 0.0;
            while (p.ReadTag() is var tag and not 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 4: value = p.ReadDouble(); break;
                    case 6: value = p.ReadSFixed64(); break;
                    default: p.SkipLastField(); break;
                }
            }

            Points.Add(new CollectedPoint(service, name, unit, value, 1, Attributes(point, 7)));
        }

        // HistogramDataPoint { 9: attributes, 4: count (fixed64), 5: sum (double) }
        foreach (var point in histograms)
        {
            var p = point.CreateCodedInput();
            var (count, sum) = (0L, 0.0);
            while (p.ReadTag() is var tag and not 0)
            {
                switch (WireFormat.GetTagFieldNumber(tag))
                {
                    case 4: count = (long)p.ReadFixed64(); break;
                    case 5: sum = p.ReadDouble(); break;
                    default: p.SkipLastField(); break;
                }
            }

            Points.Add(new CollectedPoint(service, name, unit, sum, count, Attributes(point, 9)));
        }
    }

    /// <summary>Every length-delimited field with this number in a message.</summary>
    static List<ByteString> Fields(ByteString message, int field)
    {
        var result = new List<ByteString>();
        var input = message.CreateCodedInput();
        while (input.ReadTag() is var tag and not 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) == field && WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited)
                result.Add(input.ReadBytes());
            else
                input.SkipLastField();
        }

        return result;
    }

    static string Skip(CodedInputStream input)
    {
        input.SkipLastField();
        return "";
    }

    // The OTLP JSON encoding: ids as hex strings, field names in lowerCamelCase.
    void ReadJson(byte[] bytes)
    {
        using var document = JsonDocument.Parse(bytes);
        foreach (var resource in document.RootElement.GetProperty("resourceSpans").EnumerateArray())
        {
            var service = JsonAttributes(resource.GetProperty("resource")).GetValueOrDefault("service.name", "");
            foreach (var scopeSpans in resource.GetProperty("scopeSpans").EnumerateArray())
            {
                var scope = scopeSpans.TryGetProperty("scope", out var s) && s.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "";
                foreach (var span in scopeSpans.GetProperty("spans").EnumerateArray())
                {
                    var parent = span.TryGetProperty("parentSpanId", out var p) ? p.GetString() : null;
                    Spans.Add(new CollectedSpan(service, scope, span.GetProperty("traceId").GetString()!.ToLowerInvariant(),
                        span.GetProperty("spanId").GetString()!.ToLowerInvariant(), string.IsNullOrEmpty(parent) ? null : parent.ToLowerInvariant(),
                        span.GetProperty("name").GetString()!, span.TryGetProperty("kind", out var k) ? k.GetInt32() : 0,
                        span.TryGetProperty("traceState", out var t) && t.GetString() is { Length: > 0 } ts ? ts : null, JsonAttributes(span)));
                }
            }
        }
    }

    static Dictionary<string, string> JsonAttributes(JsonElement element)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        if (!element.TryGetProperty("attributes", out var attributes))
            return result;
        foreach (var attribute in attributes.EnumerateArray())
        {
            var value = attribute.GetProperty("value");
            result[attribute.GetProperty("key").GetString()!] = value.EnumerateObject().FirstOrDefault().Value.ToString();
        }

        return result;
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }
    }
}
