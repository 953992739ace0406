using Bus.Cli;

Console.SetOut(new PrintableWriter(Console.Out));
Console.SetError(new PrintableWriter(Console.Error));
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

return await BusCommandLine.RunAsync(args, Console.Out, Console.Error, cancel.Token);
