using Bus.Cli;

return args.FirstOrDefault() switch
{
    "demo" => await Demo.RunAsync(args.Skip(1).ToArray()),
    null or "help" or "--help" or "-h" => Usage(0),
    var other => Usage(2, $"unknown command '{other}'"),
};

static int Usage(int code, string? error = null)
{
    if (error is not null)
        Console.Error.WriteLine($"bus: {error}");
    Console.WriteLine("""
        usage: bus <command>

          demo     start the emulator and two consumer hosts on 127.0.0.1, train a model with TensorFlow.js,
                   follow it through evaluation and deployment, ask the inference endpoint for a prediction,
                   then show a deliberately weak model being rejected; cleans up after itself
        """);
    return code;
}
