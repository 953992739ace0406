using System.Diagnostics;
using System.Globalization;
using Bus.Persistence.Audit;
using Bus.Tooling;

/// <summary>
/// Verifying the audit log's hash chain against only reading it (the baseline), on SQLite and PostgreSQL, for a log
/// of 100,000 rows by default: what `bus audit verify` costs beyond the read it cannot avoid.
/// </summary>
static class AuditBench
{
    public static async Task<int> RunAsync(string[] args, int runs)
    {
        var rows = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
        await using var postgres = await PostgresCluster.StartAsync();
        var sqlite = $"Data Source={Path.Combine(Path.GetTempPath(), "bus-auditbench-" + Guid.NewGuid().ToString("N"), "bus.db")}";
        Console.WriteLine($"{rows:N0} audit rows, {runs} runs, {Environment.ProcessorCount} cores");
        Console.WriteLine($"| store (median of {runs} runs, lowest–highest) | append rows/s | read rows/s (baseline) | verify rows/s | verify/read |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (var (name, connectionString) in new[] { ("SQLite (file, WAL)", sqlite), ("PostgreSQL 15 (local)", postgres.ConnectionString) })
        {
            var log = new AuditLog(connectionString);
            await log.EnsureSchemaAsync();
            var append = Stopwatch.StartNew();
            for (var start = 0; start < rows; start += 1000)
                await log.AppendAsync(Enumerable.Range(start, Math.Min(1000, rows - start)).Select(Entry).ToList());
            var appendRate = rows / append.Elapsed.TotalSeconds;

            Runs read = new(), verify = new();
            for (var run = 0; run < runs; run++)
            {
                var sw = Stopwatch.StartNew();
                var count = 0;
                await foreach (var _ in log.ReadAsync())
                    count++;
                read.Add(count / sw.Elapsed.TotalSeconds);
                sw.Restart();
                var outcome = await log.VerifyAsync();
                if (!outcome.Valid || outcome.Rows != rows)
                    throw new InvalidOperationException($"{name}: verification failed: {outcome.Problem}");
                verify.Add(rows / sw.Elapsed.TotalSeconds);
            }

            Console.WriteLine($"| {name} | {appendRate:N0} | {read} | {verify} | {Runs.Ratio(verify, read).ToString("F2")} |");
        }

        return 0;
    }

    static AuditEntry Entry(int i) => new()
    {
        ModelName = $"model-{i % 20}",
        ModelVersion = i.ToString(CultureInfo.InvariantCulture),
        ModelVersionId = Guid.NewGuid(),
        FromState = "Evaluating",
        ToState = i % 3 == 0 ? "Rejected" : "Approved",
        Event = "ModelEvaluated",
        ActorKind = "message",
        ActorName = "evaluator@bench",
        Channel = "topic=bench-model-evaluated",
        Host = "bench:1",
        ArtifactUri = $"s3://bench-models/model-{i % 20}/{i}/model.json",
        ArtifactSha256 = new string('c', 64),
        Metrics = AuditChain.CanonicalMetrics(new Dictionary<string, double> { ["accuracy"] = 0.9, ["macroF1"] = 0.89, ["logLoss"] = 0.31 }),
        Decision = "promote",
        Reasons = "passed policy 'default'",
        MessageId = Guid.NewGuid(),
        TraceId = "4bf92f3577b34da6a3ce929d0e0e4736",
    };
}
