namespace CacheSerial.TestSupport.Behaviour;

public sealed record Sample(string Name, int Number);

/// <summary>Same shape as <see cref="Sample"/>, another type: its entries must not be read as <see cref="Sample"/>.</summary>
public sealed record OtherSample(string Name, int Number);

[CacheSchemaVersion(2)]
public sealed record VersionedSample(string Name, int Number);

/// <summary>A value System.Text.Json cannot write (a reference cycle).</summary>
public sealed class SelfReferencing
{
    public SelfReferencing()
    {
        Next = this;
    }

    public SelfReferencing? Next { get; set; }
}
