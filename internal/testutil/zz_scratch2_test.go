package testutil
import ("os";"testing";"time")
func TestScratchRegistry(t *testing.T) {
	if os.Getenv("SCRATCH_REG") == "" { t.Skip() }
	a := StartRegistry(t, RegistryOptions{User: "alice", Password: "s3cret"})
	b := StartRegistry(t, RegistryOptions{})
	os.WriteFile("/tmp/scr/regs", []byte(a+" "+b+"\n"), 0644)
	time.Sleep(300 * time.Second)
}
