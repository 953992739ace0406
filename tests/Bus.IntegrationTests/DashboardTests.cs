using System.Net;
using Bus.Testing;
using Bus.Tooling;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Bus.IntegrationTests;

/// <summary>
/// The dashboard in a real browser (Debian's Chromium driven by Playwright): a version followed from its first state to
/// Deployed without a reload, a rejected one with its violations, and a screenshot saved with the test results.
/// </summary>
[Collection(EmulatorCollection.Name)]
public class When_an_operator_watches_the_dashboard(EmulatorFixture emulator, ITestOutputHelper output)
{
    /// <summary>Debian's Chromium; tools/test installs it when missing.</summary>
    const string Chromium = "/usr/bin/chromium";

    [Fact]
    public async Task Should_follow_a_model_to_deployed_live_and_show_why_another_was_rejected()
    {
        File.Exists(Chromium).Should().BeTrue("tools/test installs Debian's chromium for this test");
        using var pipeline = new HostedPipeline(emulator, "dash", output);
        var trained = await pipeline.TrainAsync("trained");
        var weak = await pipeline.TrainAsync("weak", weak: true, epochs: "1");
        var settings = pipeline.Settings(pipeline.Data);
        // digits rolls out in two judged steps: the page shows the split and each guardrail's values as they come.
        foreach (var (key, value) in new Dictionary<string, string>
        {
            ["Mode"] = "Canary",
            ["Steps:0"] = "30",
            ["Steps:1"] = "60",
            ["BakeTime"] = "00:00:03",
            ["JudgmentInterval"] = "00:00:01",
            ["MinRequests"] = "10",
            ["Guardrails:MaxLatencyRatio"] = "20",
        })
            settings[$"Bus:Lifecycle:Rollout:Models:digits:{key}"] = value;
        settings["Bus:Security:Predict:RequestsPerSecond"] = "0";
        await using var host = await HostProcess.StartAsync("dashboard-host", ["lifecycle", "evaluation", "deployment"], settings, default);
        var dashboard = new Uri(host.Url, "/dashboard/");

        // Authentication is configured (an operator API key), so the page and its API are for operators only.
        using (var anonymous = new HttpClient())
        {
            (await anonymous.GetAsync(dashboard)).StatusCode.Should().Be(HttpStatusCode.Unauthorized, host.Log);
            (await anonymous.GetAsync(new Uri(host.Url, "/dashboard/api/snapshot"))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium,
            Headless = true,
            // As root Chromium needs --no-sandbox; the rest keep it off the network this machine does not have.
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync"],
        });
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            ExtraHTTPHeaders = new Dictionary<string, string> { ["X-Api-Key"] = HostedPipeline.OperatorApiKey },
            ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
        });
        var page = await context.NewPageAsync();
        var errors = new List<string>();
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync(dashboard.ToString());
        try
        {
            await page.WaitForSelectorAsync("#live[data-live='live']");
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"the page did not go live: {await page.Locator("#live").InnerTextAsync()} / " +
                $"{await page.Locator("#models").InnerTextAsync()} / {string.Join("; ", errors)}\n{host.Log}");
        }
        var loadedAt = await page.EvaluateAsync<double>("window.busDashboard.loadedAt");

        await pipeline.AnnounceAsync("digits", "1", trained);
        var seen = new List<string>();
        var row = page.Locator("tr.version[data-model='digits'][data-version='1']");
        var until = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (DateTime.UtcNow < until && seen.LastOrDefault() != "Deployed")
        {
            if (await row.CountAsync() == 1 && await row.GetAttributeAsync("data-state") is { } state && seen.LastOrDefault() != state)
                seen.Add(state);
            await Task.Delay(100);
        }

        seen.Should().EndWith("Deployed", host.Log);
        seen.Should().HaveCountGreaterThan(1, "the page showed the version before it was deployed and moved it on without a reload");
        seen[0].Should().BeOneOf("Evaluating", "Approved");
        (await page.Locator("article.model[data-model='digits'] .meta").InnerTextAsync()).Should().Contain("champion: 1");

        await pipeline.AnnounceAsync("digits", "2", weak);
        var rejected = page.Locator("tr.version[data-model='digits'][data-version='2'][data-state='Rejected']");
        await rejected.WaitForAsync(new LocatorWaitForOptions { Timeout = 120_000 });
        (await rejected.Locator(".reason").InnerTextAsync()).Should().Contain("accuracy", "the violated threshold is shown");
        (await rejected.Locator(".metric.fail").CountAsync()).Should().BeGreaterThan(0, "the failing metric is marked against its threshold");

        // Unfold the rejected version: its timeline with actors and its time in each state.
        await page.Locator("details[data-version='2'] summary").First.ClickAsync();
        (await page.Locator("details[data-version='2'] table.timeline").InnerTextAsync()).Should().Contain("TrainingCompleted").And.Contain("ModelEvaluated");
        (await page.Locator("details[data-version='2'] svg[aria-label^='time in each state']").CountAsync()).Should().Be(1);
        (await page.Locator("details[data-version='2'] svg[aria-label^='confusion matrix'] rect").CountAsync())
            .Should().Be(100, "digits has 10 classes: a 10 x 10 confusion matrix");
        (await page.Locator("svg[aria-label='accuracy by version'] circle").CountAsync()).Should().Be(2, "both versions on the metric history");

        // A malformed announcement is refused to model-lifecycle_error: the failure-queue count shows it (sampled every 15 s).
        await pipeline.PublishRawAsync("""{"modelName":"digits"}""");
        var lifecycleErrors = page.Locator($"#pipeline-queues tr[data-queue='{pipeline.Scope}-model-lifecycle'] td:nth-child(3)");
        var counted = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < counted && (await lifecycleErrors.CountAsync() == 0 || await lifecycleErrors.InnerTextAsync() != "1"))
            await Task.Delay(250);
        (await lifecycleErrors.InnerTextAsync()).Should().Be("1", "the refused announcement waits in model-lifecycle_error");
        (await page.Locator($"#pipeline-queues tr[data-queue='{pipeline.Scope}-evaluate-model']").CountAsync()).Should().Be(1, "every stage's shared queue");

        // A canary: while clients call, the rollout panel shows the split and a chart per guardrail, a point per judgment.
        await pipeline.AnnounceAsync("digits", "3", trained);
        var panel = page.Locator("article.model[data-model='digits'] section.rollout[data-version='3']");
        using (var calls = new HttpClient())
        {
            var judged = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            var percents = new HashSet<string>();
            while (DateTime.UtcNow < judged && await row.Page.Locator("tr.version[data-version='3'][data-state='Deployed']").CountAsync() == 0)
            {
                for (var i = 0; i < 20; i++)
                {
                    using var call = new HttpRequestMessage(HttpMethod.Post, new Uri(host.Url, "/models/digits/predict"))
                    {
                        Content = System.Net.Http.Json.JsonContent.Create(new { instances = new[] { Enumerable.Repeat((float)(i % 17), 64).ToArray() } }),
                    };
                    call.Headers.Add("Bus-Route-Key", $"caller-{Random.Shared.Next(100_000)}");
                    (await calls.SendAsync(call)).EnsureSuccessStatusCode();
                }

                if (await panel.CountAsync() == 1 && await panel.GetAttributeAsync("data-percent") is { } percent)
                    percents.Add(percent);
            }

            percents.Should().Contain(["30", "60"], "the panel followed the canary's steps live");
        }

        (await panel.CountAsync()).Should().Be(1, "the last rollout stays on the page after its promotion");
        (await panel.Locator("svg[data-guardrail='error rate'] circle[data-passed='true']").CountAsync()).Should().BeGreaterThan(1, "a point per judgment");
        (await panel.Locator("svg[data-guardrail='error rate'] line.threshold").CountAsync()).Should().Be(1, "the guardrail's bound");
        (await panel.InnerTextAsync()).Should().Contain("rollout of 3").And.Contain("30% → 60% → 100%");

        (await page.EvaluateAsync<double>("window.busDashboard.loadedAt")).Should().Be(loadedAt, "no reload: the page follows server-sent events");
        (await page.EvaluateAsync<int>("window.busDashboard.snapshots")).Should().BeGreaterThan(2);
        errors.Should().BeEmpty();

        var screenshot = Path.Combine(RepositoryPaths.Root, "TestResults", "dashboard.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
        output.WriteLine($"screenshot: {screenshot}");
        new FileInfo(screenshot).Length.Should().BeGreaterThan(10_000);
    }
}
