console.log("vite")
