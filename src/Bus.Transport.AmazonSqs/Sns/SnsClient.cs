using System.Globalization;
using System.Net;
using System.Text;
using System.Xml.Linq;
using Amazon.Runtime;
using Bus.Shared;
using Bus.Transport.AmazonSqs.Diagnostics;

namespace Bus.Transport.AmazonSqs.Sns;

/// <summary>
/// A small client for the SNS Query API (the AWS SDK for SNS is not available here): the actions the
/// transport and tools need, SigV4-signed with credentials from the AWS SDK's credential chain.
/// Throttling, 5xx answers and network failures are retried with exponential backoff and jitter.
/// </summary>
public sealed class SnsClient : IDisposable
{
    const string ApiVersion = "2010-03-31";
    readonly HttpClient _http;
    readonly bool _ownsHttp;
    readonly AWSCredentials _credentials;
    readonly Uri _endpoint;
    readonly string _region;

    public SnsClient(AWSCredentials credentials, string region, Uri? serviceUrl = null, HttpClient? httpClient = null)
    {
        _credentials = credentials;
        _region = region;
        _endpoint = serviceUrl ?? new Uri($"https://sns.{region}.amazonaws.com/");
        _http = httpClient ?? new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        _ownsHttp = httpClient is null;
    }

    /// <summary>Attempts per call, including the first (transient failures only).</summary>
    public int MaxAttempts { get; init; } = 6;

    /// <summary>The wait before the first retry; it doubles per retry (with jitter) up to <see cref="MaxDelay"/>.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    public Uri Endpoint => _endpoint;

    public async Task<string> CreateTopicAsync(string name, IReadOnlyDictionary<string, string>? attributes = null,
        CancellationToken cancellationToken = default)
    {
        var form = new List<KeyValuePair<string, string>> { new("Name", name) };
        AddMap(form, "Attributes.entry", attributes, "key", "value");
        var response = await CallAsync("CreateTopic", form, cancellationToken).ConfigureAwait(false);
        return Value(response, "TopicArn") ?? throw new SnsException("InvalidResponse", "CreateTopic returned no TopicArn", null, false);
    }

    public async Task<IReadOnlyDictionary<string, string>> GetTopicAttributesAsync(string topicArn, CancellationToken cancellationToken = default)
    {
        var response = await CallAsync("GetTopicAttributes", [new("TopicArn", topicArn)], cancellationToken).ConfigureAwait(false);
        return response.Descendants().Where(e => e.Name.LocalName == "entry")
            .ToDictionary(e => Child(e, "key") ?? string.Empty, e => Child(e, "value") ?? string.Empty, StringComparer.Ordinal);
    }

    public async Task<string> SubscribeAsync(string topicArn, string protocol, string endpoint, IReadOnlyDictionary<string, string>? attributes = null,
        CancellationToken cancellationToken = default)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("TopicArn", topicArn), new("Protocol", protocol), new("Endpoint", endpoint), new("ReturnSubscriptionArn", "true"),
        };
        AddMap(form, "Attributes.entry", attributes, "key", "value");
        var response = await CallAsync("Subscribe", form, cancellationToken).ConfigureAwait(false);
        return Value(response, "SubscriptionArn") ?? throw new SnsException("InvalidResponse", "Subscribe returned no SubscriptionArn", null, false);
    }

    public Task SetSubscriptionAttributesAsync(string subscriptionArn, string name, string value, CancellationToken cancellationToken = default) =>
        CallAsync("SetSubscriptionAttributes", [new("SubscriptionArn", subscriptionArn), new("AttributeName", name), new("AttributeValue", value)],
            cancellationToken);

    /// <summary>The ARNs of every topic in the account and region (all pages).</summary>
    public async Task<IReadOnlyList<string>> ListTopicsAsync(CancellationToken cancellationToken = default)
    {
        var all = new List<string>();
        string? next = null;
        do
        {
            var form = new List<KeyValuePair<string, string>>();
            if (next is not null)
                form.Add(new("NextToken", next));
            var response = await CallAsync("ListTopics", form, cancellationToken).ConfigureAwait(false);
            all.AddRange(response.Descendants().Where(e => e.Name.LocalName == "member" && e.Parent?.Name.LocalName == "Topics")
                .Select(m => Child(m, "TopicArn")).OfType<string>());
            next = Value(response, "NextToken");
        }
        while (!string.IsNullOrEmpty(next));

        return all;
    }

    public async Task<IReadOnlyList<SnsSubscription>> ListSubscriptionsByTopicAsync(string topicArn, CancellationToken cancellationToken = default)
    {
        var all = new List<SnsSubscription>();
        string? next = null;
        do
        {
            var form = new List<KeyValuePair<string, string>> { new("TopicArn", topicArn) };
            if (next is not null)
                form.Add(new("NextToken", next));
            var response = await CallAsync("ListSubscriptionsByTopic", form, cancellationToken).ConfigureAwait(false);
            all.AddRange(response.Descendants().Where(e => e.Name.LocalName == "member" && e.Parent?.Name.LocalName == "Subscriptions")
                .Select(m => new SnsSubscription(Child(m, "SubscriptionArn") ?? "", Child(m, "Protocol") ?? "", Child(m, "Endpoint") ?? "", Child(m, "TopicArn")
                    ?? "")));
            next = Value(response, "NextToken");
        }
        while (!string.IsNullOrEmpty(next));

        return all;
    }

    public async Task<string> PublishAsync(string topicArn, string message, IReadOnlyDictionary<string, SnsAttribute>? attributes = null,
        string? groupId = null, string? deduplicationId = null, CancellationToken cancellationToken = default)
    {
        var form = new List<KeyValuePair<string, string>> { new("TopicArn", topicArn), new("Message", message) };
        AddAttributes(form, "MessageAttributes.entry", attributes);
        if (groupId is not null)
            form.Add(new("MessageGroupId", groupId));
        if (deduplicationId is not null)
            form.Add(new("MessageDeduplicationId", deduplicationId));
        var response = await CallAsync("Publish", form, cancellationToken).ConfigureAwait(false);
        return Value(response, "MessageId") ?? string.Empty;
    }

    public async Task<SnsBatchResult> PublishBatchAsync(string topicArn, IReadOnlyList<SnsBatchEntry> entries, CancellationToken cancellationToken = default)
    {
        if (entries.Count is 0 or > 10)
            throw new ArgumentOutOfRangeException(nameof(entries), entries.Count, "SNS PublishBatch takes 1 to 10 entries");
        var form = new List<KeyValuePair<string, string>> { new("TopicArn", topicArn) };
        for (var i = 0; i < entries.Count; i++)
        {
            var prefix = $"PublishBatchRequestEntries.member.{i + 1}";
            var e = entries[i];
            form.Add(new($"{prefix}.Id", e.Id));
            form.Add(new($"{prefix}.Message", e.Message));
            if (e.GroupId is not null)
                form.Add(new($"{prefix}.MessageGroupId", e.GroupId));
            if (e.DeduplicationId is not null)
                form.Add(new($"{prefix}.MessageDeduplicationId", e.DeduplicationId));
            AddAttributes(form, $"{prefix}.MessageAttributes.entry", e.Attributes);
        }

        var response = await CallAsync("PublishBatch", form, cancellationToken).ConfigureAwait(false);
        var ok = response.Descendants().Where(x => x.Name.LocalName == "member" && x.Parent?.Name.LocalName == "Successful")
            .Select(m => Child(m, "Id") ?? "").ToList();
        var failed = response.Descendants().Where(x => x.Name.LocalName == "member" && x.Parent?.Name.LocalName == "Failed")
            .Select(m => (Child(m, "Id") ?? "", Child(m, "Code") ?? "", Child(m, "Message") ?? "", string.Equals(Child(m, "SenderFault"), "true",
                StringComparison.OrdinalIgnoreCase)))
            .ToList();
        return new SnsBatchResult(ok, failed);
    }

    async Task<XElement> CallAsync(string action, List<KeyValuePair<string, string>> parameters, CancellationToken cancellationToken)
    {
        if (AwsCallLog.Current is { } log)
        {
            var target = parameters.FirstOrDefault(p => p.Key is "TopicArn" or "SubscriptionArn" or "Name").Value;
            log.Record(new AwsCall("sns", action, target is null ? null : AwsCallLog.TopicOf(target)));
        }

        parameters.Insert(0, new("Action", action));
        parameters.Insert(1, new("Version", ApiVersion));
        var body = Encoding.UTF8.GetBytes(string.Join("&", parameters.Select(p => $"{SigV4Signer.UriEncode(p.Key)}={SigV4Signer.UriEncode(p.Value)}")));

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await SendOnceAsync(action, body, cancellationToken).ConfigureAwait(false);
            }
            catch (SnsException ex) when (ex.IsTransient && attempt < MaxAttempts && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(Backoff.Jittered(attempt, BaseDelay, MaxDelay), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    async Task<XElement> SendOnceAsync(string action, byte[] body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _endpoint);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/x-www-form-urlencoded") { CharSet = "utf-8" };
        var credentials = await _credentials.GetCredentialsAsync().ConfigureAwait(false);
        SigV4Signer.Sign(request, body, new SigningCredentials(credentials.AccessKey, credentials.SecretKey, credentials.UseToken ? credentials.Token : null),
            _region, "sns", DateTimeOffset.UtcNow);

        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex)
        {
            throw new SnsException("NetworkFailure", $"{action} could not reach {_endpoint}: {ex.Message}", null, true, ex);
        }
        catch (TaskCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new SnsException("Timeout", $"{action} timed out talking to {_endpoint}", null, true, ex);
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            XElement root;
            try
            {
                root = XElement.Parse(text);
            }
            catch (System.Xml.XmlException)
            {
                throw new SnsException("InvalidResponse", $"{action} answered HTTP {(int)response.StatusCode} with a body that is not XML: {Truncate(text)}",
                    response.StatusCode, (int)response.StatusCode >= 500);
            }

            if (response.IsSuccessStatusCode && root.Name.LocalName != "ErrorResponse")
                return root;

            var code = Value(root, "Code") ?? response.StatusCode.ToString();
            var message = Value(root, "Message") ?? Truncate(text);
            if (code is "NotFound" or "NotFoundException")
                throw new SnsNotFoundException(message, response.StatusCode);
            var transient = (int)response.StatusCode >= 500 || response.StatusCode == HttpStatusCode.TooManyRequests
                || code is "Throttling" or "ThrottlingException" or "ThrottledException" or "RequestThrottled" or "TooManyRequestsException"
                    or "ServiceUnavailable" or "InternalError" or "InternalFailure" or "KMSThrottling";
            throw new SnsException(code, $"{action}: {message}", response.StatusCode, transient);
        }
    }

    static void AddMap(List<KeyValuePair<string, string>> form, string prefix, IReadOnlyDictionary<string, string>? map, string keyName, string valueName)
    {
        if (map is null)
            return;
        var i = 1;
        foreach (var (key, value) in map)
        {
            form.Add(new($"{prefix}.{i}.{keyName}", key));
            form.Add(new($"{prefix}.{i}.{valueName}", value));
            i++;
        }
    }

    static void AddAttributes(List<KeyValuePair<string, string>> form, string prefix, IReadOnlyDictionary<string, SnsAttribute>? attributes)
    {
        if (attributes is null)
            return;
        var i = 1;
        foreach (var (name, attribute) in attributes)
        {
            form.Add(new($"{prefix}.{i}.Name", name));
            form.Add(new($"{prefix}.{i}.Value.DataType", attribute.DataType));
            form.Add(new($"{prefix}.{i}.Value.StringValue", attribute.StringValue));
            i++;
        }
    }

    static string? Value(XElement root, string name) => root.Descendants().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

    static string? Child(XElement element, string name) => element.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

    static string Truncate(string text) => text.Length <= 300 ? text : text[..300] + "…";

    public void Dispose()
    {
        if (_ownsHttp)
            _http.Dispose();
    }

    internal static string FormatInvariant(long value) => value.ToString(CultureInfo.InvariantCulture);
}
