using Bus.Testing;

namespace Bus.Transport.AmazonSqs.Tests;

[CollectionDefinition(Name)]
public sealed class EmulatorCollection : ICollectionFixture<EmulatorFixture>
{
    public const string Name = "emulator";
}
