using Bus.Tooling;

namespace Bus.Testing;

/// <summary>One emulator per test run for the collection that uses it; its URL is all a test needs.</summary>
public sealed class EmulatorFixture : Xunit.IAsyncLifetime
{
    public EmulatorProcess Emulator { get; private set; } = null!;

    public Uri ServiceUrl => Emulator.ServiceUrl;

    public async Task InitializeAsync() => Emulator = await EmulatorProcess.StartAsync();

    public async Task DisposeAsync() => await Emulator.DisposeAsync();
}
