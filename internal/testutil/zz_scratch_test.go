package testutil
import ("os";"testing")
func TestScratchWrite(t *testing.T) {
	d := os.Getenv("SCRATCH_DIR"); if d == "" { t.Skip() }
	img, err := WriteBusyboxImage(d, ImageOptions{Labels: map[string]string{"k":"v"}}); if err != nil { t.Fatal(err) }
	t.Log(img.ID)
}
