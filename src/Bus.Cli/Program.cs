using Bus.Cli;
using Bus.Transport.AmazonSqs.Diagnostics;

Console.SetOut(new PrintableWriter(Console.Out));
Console.SetError(new PrintableWriter(Console.Error));
if (CliEnvironment.Configuration["Bus:Aws:CallLog"] is { Length: > 0 } callLog)
    AwsCallLog.Start(callLog);
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

return await BusCommandLine.RunAsync(args, Console.Out, Console.Error, cancel.Token);
