namespace CacheSerial.Tests;

public sealed class CacheEntryRejectedExceptionTests
{
    [Fact]
    public void Constructors_SetReasonMessageAndInner()
    {
        var inner = new FormatException("bad");

        Assert.Equal(CacheEntryRejectReason.NotAnEnvelope, new CacheEntryRejectedException().Reason);
        Assert.Equal("m", new CacheEntryRejectedException("m").Message);
        Assert.Equal(CacheEntryRejectReason.CodecError, new CacheEntryRejectedException("m", inner).Reason);
        Assert.Same(inner, new CacheEntryRejectedException("m", inner).InnerException);
        Assert.Equal(CacheEntryRejectReason.KeyMismatch, new CacheEntryRejectedException(CacheEntryRejectReason.KeyMismatch, "m", null).Reason);
    }

    [Fact]
    public void CacheSerializationException_Constructors()
    {
        var inner = new InvalidOperationException();

        Assert.NotNull(new CacheSerializationException().Message);
        Assert.Equal("m", new CacheSerializationException("m").Message);
        Assert.Same(inner, new CacheSerializationException("m", inner).InnerException);
    }
}
